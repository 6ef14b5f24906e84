"""Benchmark: N accounts x R regions of realistic volume, collected against moto in server mode.

Starts moto in its own process on 127.0.0.1 (so the emulator does not share the kit's
interpreter), seeds every account inside that process (fast: straight into moto's backends),
then times the kit's stages separately and prints a table:

    .venv/bin/python bench/bench_collect.py                       # 1, 10, 50 accounts x 1, 3 regions
    .venv/bin/python bench/bench_collect.py --accounts 1,10 --regions 1 --users 300

Volumes per account: --users IAM users (each with a console password, a third with keys),
--sgs security groups per region, --lbs load balancers per region (in the first region).
Notebooks and publishing are timed once, on the smallest configuration's run, because they do
not depend on the number of accounts beyond the size of the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assess_lib.demo.server import free_port  # noqa: E402

REGIONS = ["ap-northeast-1", "ap-northeast-3", "us-east-1"]
ROLE = "FsaAssessmentReadOnly"

SERVER = textwrap.dedent(
    """
    import json, sys
    from moto.server import ThreadedMotoServer
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
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(port), verbose=False)
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
    return proc, f"http://127.0.0.1:{port}"


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
        collect_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
        if with_present:
            t3 = time.perf_counter()
            execute_notebooks(run_dir, None, "ja")
            t4 = time.perf_counter()
            publish(run_dir, assessment, "ja")
            t5 = time.perf_counter()
            row["notebooks_s"] = round(t4 - t3, 1)
            row["publish_s"] = round(t5 - t4, 1)
        row["collect_rss_mib"] = round(collect_rss)
        row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return row
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", default="1,10,50")
    parser.add_argument("--regions", default="1,3")
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--sgs", type=int, default=100)
    parser.add_argument("--lbs", type=int, default=20)
    parser.add_argument("--no-present", action="store_true", help="skip notebooks and publishing")
    args = parser.parse_args()
    rows = []
    first = not args.no_present
    for n_accounts in [int(x) for x in args.accounts.split(",")]:
        for n_regions in [int(x) for x in args.regions.split(",")]:
            rows.append(run_config(n_accounts, n_regions, args, with_present=first))
            first = False
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    columns = [
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
        "peak_rss_mib",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
    print(
        f"\nvolumes per account: {args.users} IAM users, {args.sgs} security groups per region, {args.lbs} load balancers; "
        f"RSS is the kit's process, peak after collection and overall (the emulator runs in its own process); {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
