"""Benchmark: N accounts x R regions of realistic volume against moto in server mode, plus the demo.

Starts moto in its own process on 127.0.0.1 (so the emulator does not share the kit's
interpreter), seeds every account inside that process (fast: straight into moto's backends),
then times the kit's stages separately (collect, evaluate, notebooks, publish) and prints a table
with API calls per account and peak memory. Every configuration runs in a fresh process, so its
peak memory is its own:

    .venv/bin/python bench/bench_collect.py                       # 1, 10, 50 accounts x 1, 3 regions, then the demo
    .venv/bin/python bench/bench_collect.py --accounts 1,10 --regions 1 --users 300 --present first --no-demo

Volumes per account: --users IAM users (each with a console password, a third with keys),
--sgs security groups per region, --lbs load balancers (in the first region).
``--present all|first|none`` chooses the configurations whose notebooks and publishing are timed.
The demo row is ``python -m assess_lib demo`` end to end, as a consultant runs it (``--demo-runs``).

Side by side with another scanner: ``--serve 10,3`` seeds the same accounts and keeps the emulator
running, printing the endpoint and credentials to point the other tool at (boto3-based scanners
honour ``AWS_ENDPOINT_URL``); stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assess_lib.demo.server import free_port

REGIONS = ["ap-northeast-1", "ap-northeast-3", "us-east-1"]
ROLE = "FsaAssessmentReadOnly"

SERVER = textwrap.dedent(
    """
    import json, sys
    from assess_lib._child import program_startup
    program_startup()
    from assess_lib.demo.server import tune_moto
    tune_moto()  # as the demo's emulator process
    from moto.backends import get_backend
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port, accounts, regions, users, sgs, lbs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), *map(int, sys.argv[4:7])
    for account in accounts:
        iam = get_backend("iam")[account]["global"]
        for i in range(users):
            user = iam.create_user("us-east-1", f"user{i:04d}")
            if i % 3 == 0:
                iam.create_access_key(user.name)
            iam.create_login_profile(user.name, "Bench-Passw0rd!")
        for region in regions:
            ec2 = get_backend("ec2")[account][region]
            vpc = ec2.create_vpc("10.0.0.0/16")
            for j in range(sgs):
                ec2.create_security_group(f"sg-bench-{j}", "bench group", vpc.id)
    # The demo's emulator: moto behind the kit's layer, keeping connections alive as AWS does.
    from assess_lib.demo.server import layered_server_class
    server = layered_server_class()(ip_address="127.0.0.1", port=int(port), verbose=False)
    server.start()
    print("ready", flush=True)
    sys.stdin.read()
    server.stop()
    """
)


def account_ids(n: int) -> list[str]:
    return [f"{100000000000 + i:012d}" for i in range(n)]


def start_server(accounts: list[str], regions: list[str], users: int, sgs: int, lbs: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), json.dumps(accounts), json.dumps(regions), str(users), str(sgs), str(lbs)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false", "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"},
    )
    line = proc.stdout.readline()
    if "ready" not in line:
        proc.kill()
        raise RuntimeError("moto server did not start")
    url = f"http://127.0.0.1:{port}"
    from assess_lib.demo import unserved

    unserved.answer_as_empty(url)  # what moto does not serve, answered as "none" (hand-built), as in the tests
    return proc, url


def seed_load_balancers(url: str, accounts: list[str], region: str, count: int) -> None:
    """Load balancers through the API (their backend wiring is intricate), in the first region."""
    import boto3

    for account in accounts:
        sts = boto3.client("sts", endpoint_url=url, region_name=region)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed")["Credentials"]
        session = boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region_name=region)
        ec2 = session.client("ec2", endpoint_url=url)
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{region}{z}")["Subnet"]["SubnetId"]
            for i, z in enumerate("ac")
        ]
        elb = session.client("elbv2", endpoint_url=url)
        for k in range(count):
            elb.create_load_balancer(Name=f"bench-lb-{k}", Subnets=subnets, Scheme="internet-facing" if k % 2 else "internal")


def run_config(n_accounts: int, n_regions: int, args: argparse.Namespace, with_present: bool) -> dict:
    from assess_lib.params import parse_params
    from assess_lib.pipeline import collect, evaluate, execute_notebooks, write_results
    from assess_lib.report.publish import publish

    accounts = account_ids(n_accounts)
    regions = REGIONS[:n_regions]
    proc, url = start_server(accounts, regions, args.users, args.sgs, args.lbs)
    os.environ.update(AWS_ACCESS_KEY_ID="AKIABENCHBENCHBENCH0", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=regions[0])
    try:
        if args.lbs:
            seed_load_balancers(url, accounts, regions[0], args.lbs)
        params = parse_params(
            {
                "customer": "ベンチマーク銀行",
                "aws": {"regions": regions, "accounts": accounts, "role_name": ROLE},
                "dns": {"domains": []},
            }
        )
        run_dir = Path(tempfile.mkdtemp(prefix="fsa-bench-"))
        t0 = time.perf_counter()
        bundle = collect(params, run_dir, endpoint_url=url, max_attempts=3)
        t1 = time.perf_counter()
        collect_rss = _rss_mib()
        assessment = evaluate(bundle)
        write_results(run_dir, assessment)
        t2 = time.perf_counter()
        row = {
            "accounts": n_accounts,
            "regions": n_regions,
            "collect_s": round(t1 - t0, 1),
            "evaluate_s": round(t2 - t1, 1),
            "findings": len(assessment.findings),
            "errors": len(bundle.errors()),
        }
        calls = bundle.manifest["api_calls"]
        per_account = [sum(s["calls"] for s in services.values()) for services in calls.values()]
        row["calls_per_account"] = max(per_account) if per_account else 0
        row["collect_rss_mib"] = round(collect_rss)
        row["evaluate_rss_mib"] = round(_rss_mib())
        if with_present:
            t3 = time.perf_counter()
            execute_notebooks(run_dir, "ja")
            t4 = time.perf_counter()
            publish(run_dir, assessment, "ja")
            t5 = time.perf_counter()
            row["notebooks_s"] = round(t4 - t3, 1)
            row["publish_s"] = round(t5 - t4, 1)
        row["peak_rss_mib"] = round(_rss_mib())
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        row["child_peak_rss_mib"] = round(children) if with_present else ""
        shutil.rmtree(run_dir, ignore_errors=True)
        return row
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_isolated(n_accounts: int, n_regions: int, args: argparse.Namespace, with_present: bool) -> dict:
    """One configuration in a fresh interpreter: its peak memory is its own, not the previous one's."""
    command = [
        sys.executable,
        __file__,
        "--one",
        f"{n_accounts},{n_regions}",
        *("--users", str(args.users), "--sgs", str(args.sgs), "--lbs", str(args.lbs)),
        "--present",
        "all" if with_present else "none",
    ]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_demo(runs: int) -> dict:
    """``python -m assess_lib demo`` end to end (emulator, seeding, collection, notebooks, publishing)."""
    walls = []
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(prefix="fsa-bench-demo-")) / "demo"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assess_lib", "demo", "--out", str(out), "--quiet"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        walls.append(time.perf_counter() - t0)
        shutil.rmtree(out.parent, ignore_errors=True)
    walls.sort()
    return {"runs": runs, "min_s": round(walls[0], 1), "median_s": round(walls[len(walls) // 2], 1), "max_s": round(walls[-1], 1)}


def serve(spec: str, args: argparse.Namespace) -> None:
    """Seed N accounts x R regions and keep the emulator up for another scanner."""
    n_accounts, n_regions = (int(x) for x in spec.split(","))
    accounts = account_ids(n_accounts)
    regions = REGIONS[:n_regions]
    proc, url = start_server(accounts, regions, args.users, args.sgs, args.lbs)
    try:
        if args.lbs:
            os.environ.update(AWS_ACCESS_KEY_ID="AKIABENCHBENCHBENCH0", AWS_SECRET_ACCESS_KEY="bench")
            seed_load_balancers(url, accounts, regions[0], args.lbs)
        import boto3

        print(f"emulator: {url}  accounts: {accounts[0]}..{accounts[-1]} ({n_accounts})  regions: {', '.join(regions)}")
        print(
            f"this kit, in a params file:  aws: {{endpoint_url: {url}, accounts: [{', '.join(accounts)}], role_name: {ROLE}, regions: [{', '.join(regions)}]}}"
        )
        print("another scanner: each account has the role above; or use an account's own (emulator-only) session credentials:")
        sts = boto3.client(
            "sts",
            endpoint_url=url,
            region_name=regions[0],
            aws_access_key_id="AKIABENCHBENCHBENCH0",
            aws_secret_access_key="bench",
        )
        for account in accounts[:3]:
            creds = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="side-by-side", DurationSeconds=43200
            )["Credentials"]
            print(
                f"  {account}: AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID={creds['AccessKeyId']} "
                f"AWS_SECRET_ACCESS_KEY={creds['SecretAccessKey']} AWS_SESSION_TOKEN={creds['SessionToken']}"
            )
        if n_accounts > 3:
            print(f"  ... and {n_accounts - 3} more accounts: assume {ROLE} in each")
        print("Ctrl-C stops the emulator", flush=True)
        while proc.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if proc.poll() is None:
            proc.stdin.close()
            proc.wait(timeout=30)


COLUMNS = [
    "accounts",
    "regions",
    "collect_s",
    "evaluate_s",
    "notebooks_s",
    "publish_s",
    "calls_per_account",
    "findings",
    "errors",
    "collect_rss_mib",
    "evaluate_rss_mib",
    "peak_rss_mib",
    "child_peak_rss_mib",
]


def main() -> None:
    from assess_lib._child import program_startup

    program_startup()  # as in the kit's own programs (python -m assess_lib)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", default="1,10,50")
    parser.add_argument("--regions", default="1,3")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--sgs", type=int, default=100)
    parser.add_argument("--lbs", type=int, default=20)
    parser.add_argument("--present", choices=("all", "first", "none"), default="all", help="time notebooks and publishing")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo end-to-end row")
    parser.add_argument("--demo-runs", type=int, default=3)
    parser.add_argument("--serve", metavar="N,R", help="seed N accounts x R regions and keep the emulator running")
    parser.add_argument("--one", metavar="N,R", help=argparse.SUPPRESS)  # one configuration, JSON on stdout
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args)
        return
    if args.one:
        n_accounts, n_regions = (int(x) for x in args.one.split(","))
        print(json.dumps(run_config(n_accounts, n_regions, args, with_present=args.present != "none")), flush=True)
        return
    rows = []
    for n_accounts in [int(x) for x in args.accounts.split(",")]:
        for n_regions in [int(x) for x in args.regions.split(",")]:
            present = args.present == "all" or (args.present == "first" and not rows)
            rows.append(run_isolated(n_accounts, n_regions, args, present))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "")) for c in COLUMNS) + " |")
    print(
        f"\nvolumes per account: {args.users} IAM users, {args.sgs} security groups per region, {args.lbs} load balancers; "
        "RSS: the kit's process after collection, after evaluation and overall (each configuration in a fresh process; "
        f"the emulator runs in its own), and the largest child (notebook kernel or PDF renderer); {os.cpu_count()} cores"
    )
    if not args.no_demo:
        demo = time_demo(args.demo_runs)
        print(
            f"demo end to end (python -m assess_lib demo, {demo['runs']} runs): "
            f"min {demo['min_s']} s, median {demo['median_s']} s, max {demo['max_s']} s"
        )


if __name__ == "__main__":
    main()
