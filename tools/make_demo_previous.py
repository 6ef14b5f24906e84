"""Writes the demo's previous assessment (``assess_lib/demo/previous/``) from a real demo run.

The demo compares デモ銀行's assessment with the one of a year earlier (``previous: previous`` in
``assess_lib/demo/params.yaml``). That earlier assessment is this year's demo run as it stood a year before, so
that it stays true to the demo; what was different then:

- collected one year earlier (the same day and time of the previous year); ``run.json`` holds the facts the
  comparison needs (run ID, customer, collection time), in place of the evidence bundle;
- only the findings that matter to a comparison are kept: those that fail or could not be assessed (a passing
  finding of the previous year changes nothing in it), without their detail tables;
- resolved since: three findings that failed a year ago pass now (:data:`RESOLVED`: account 情報系's password
  policy, the DR trail's log file validation, a console user without MFA), their messages those the kit writes for
  the same failure elsewhere in the demo;
- new since: what fails now only because time passed (an access key's age, credentials or a role unused past the
  limit, a certificate close to expiry, regulations past their review date: :data:`TIME_DEPENDENT`) and a few new
  resources (:data:`NEW`): they are not in last year's results;
- verdict changes that follow from that (:data:`VERDICTS_A_YEAR_AGO`): 2.3.1-7 (federation) and 2.1.2-1
  (regulations) were 適合 a year ago;
- an accepted risk: the unused legacy-migration security group's remote administration ports were accepted a year
  ago until 2026-06-30 (:data:`ACCEPTED_A_YEAR_AGO`), so they show now as an accepted risk that expired;
- the root user of account 情報系 without MFA was already reported by the assessment before (:data:`FIRST_SEEN`):
  the age of a finding chains across years;
- the management framework's overdue review is recomputed at last year's date.

Run it after a change to the demo's seeds, checks or messages, and commit the folder (it is small):

    .venv/bin/python -m assess_lib demo --out outputs/demo
    .venv/bin/python tools/make_demo_previous.py outputs/demo
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from assess_lib.compare import OPEN_VERDICTS, RUN_FACTS, JST
from assess_lib.core.model import finding_id
from assess_lib.demo import DEMO_PARAMS

TARGET = DEMO_PARAMS.parent / "previous"
PREVIOUS_RUN_SUFFIX = "-prev01"

# (check, account, region, resource) -> the finding of the same check whose failure message it takes (resource renamed).
RESOLVED: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = {
    ("iam_password_policy", "345678901234", "global", "password policy"): (
        "iam_password_policy",
        "123456789012",
        "global",
        "password policy",
    ),
    ("cloudtrail_log_validation", "123456789012", "ap-northeast-3", "demo-bank-dr-trail"): (
        "cloudtrail_log_validation",
        "123456789012",
        "ap-northeast-1",
        "demo-bank-trail",
    ),
    ("iam_user_console_mfa", "123456789012", "global", "tanaka.taro"): (
        "iam_user_console_mfa",
        "123456789012",
        "global",
        "suzuki.ichiro",
    ),
}
# Checks whose failure depends on elapsed time: what fails now did not a year ago.
TIME_DEPENDENT = {
    "iam_access_key_age",
    "iam_unused_credentials",
    "iam_unused_roles",
    "iam_saml_provider_certificates",
    "attest_regulations",
}
# Resources that failed only since last year: (check, resource).
NEW = {("iam_federated_role_conditions", "role/GitHubDeploy"), ("ses_custom_mail_from", "demo-bank-news.example.jp")}
VERDICTS_A_YEAR_AGO = {"2.3.1-7": "pass", "2.1.2-1": "pass"}
ACCEPTED_A_YEAR_AGO = {
    # (check, the end of the resource: the group's name, as its ID is the emulator's)
    ("remote_admin_from_internet", "(demo-bank-legacy-migration-sg)"): {
        "status": "active",
        "reason": "旧勘定系からの移行作業用。移行完了（2026年6月予定）までの暫定措置。",
        "approver": "CISO 佐藤一郎",
        "approved_on": "2025-06-15",
        "expires": "2026-06-30",
        "source": "exceptions.yaml, entry 1",
    }
}
# (check, account, resource) -> first seen by the assessment before last year's.
FIRST_SEEN = {("iam_root_mfa", "345678901234", "root"): 2}  # years before the current collection
KEPT_FIELDS = ("check_id", "control_id", "verdict", "account_id", "region", "resource", "message_ja", "message_en", "severity")


def _year_earlier(when: dt.datetime, years: int = 1) -> dt.datetime:
    try:
        return when.replace(year=when.year - years)
    except ValueError:  # 29 February
        return when.replace(year=when.year - years, day=28)


def _record(finding: dict[str, Any], **changes: Any) -> dict[str, Any]:
    record = {name: finding[name] for name in KEPT_FIELDS}
    record.update(changes)
    return {"finding_id": finding_id(record["check_id"], record["account_id"], record["region"], record["resource"]), **record}


def _recomputed(finding: dict[str, Any], day: dt.date) -> dict[str, Any] | None:
    """A review overdue then too, its figures at last year's date (None: not overdue a year ago)."""
    details = finding.get("details") or {}
    if not details.get("overdue_days") or not details.get("due_date"):
        return finding
    overdue = (day - dt.date.fromisoformat(details["due_date"])).days
    if overdue <= 0:
        return None
    old_date, old_days = details["assessment_date"], details["overdue_days"]
    changed = dict(finding)
    for key in ("message_ja", "message_en"):
        text = changed[key].replace(old_date, day.isoformat())
        text = text.replace(f"{old_days}日", f"{overdue}日").replace(f"{old_days} days", f"{overdue} days")
        changed[key] = text
    return changed


def make(run: Path, target: Path = TARGET) -> dict[str, int]:
    """Write ``target`` (findings.json, controls.json, run.json) from the demo run folder ``run``; counts."""
    manifest = json.loads((run / "evidence" / "manifest.json").read_text(encoding="utf-8"))
    findings = json.loads((run / "findings.json").read_text(encoding="utf-8"))
    controls = json.loads((run / "controls.json").read_text(encoding="utf-8"))
    started = dt.datetime.fromisoformat(manifest["started_at"])
    previous_start = _year_earlier(started)
    day = previous_start.astimezone(JST).date()
    by_key = {(f["check_id"], f["account_id"], f["region"], f["resource"]): f for f in findings}

    kept: dict[tuple[str, str], dict[str, Any]] = {}  # (finding ID, control) -> record
    for finding in findings:
        if finding["verdict"] not in OPEN_VERDICTS or finding["check_id"] in TIME_DEPENDENT:
            continue
        if (finding["check_id"], finding["resource"]) in NEW or finding["control_id"] in VERDICTS_A_YEAR_AGO:
            continue
        then = _recomputed(finding, day)
        if then is None:
            continue
        record = _record(then)
        risk = next(
            (
                r
                for (check, end), r in ACCEPTED_A_YEAR_AGO.items()
                if finding["check_id"] == check and finding["resource"].endswith(end)
            ),
            None,
        )
        if risk:
            record["accepted_risk"] = risk
        years = FIRST_SEEN.get((finding["check_id"], finding["account_id"], finding["resource"]))
        if years:
            record["first_seen"] = _year_earlier(started, years).astimezone(JST).date().isoformat()
        kept[(record["finding_id"], record["control_id"])] = record
    for key, source in RESOLVED.items():
        now, model = by_key[key], by_key[source]
        assert now["verdict"] == "pass" and model["verdict"] == "fail", (key, now["verdict"], model["verdict"])
        messages = {k: model[k].replace(source[3], key[3]) for k in ("message_ja", "message_en")}
        record = _record(now, verdict="fail", severity=model["severity"], **messages)
        kept[(record["finding_id"], record["control_id"])] = record
    open_items = {control for _, control in kept}
    items = []
    for control in controls:
        verdict = VERDICTS_A_YEAR_AGO.get(control["control_id"], control["verdict"])
        assert control["control_id"] not in VERDICTS_A_YEAR_AGO or control["control_id"] not in open_items
        items.append({name: control[name] for name in ("control_id", "title_ja", "title_en")} | {"verdict": verdict})
    facts = {
        "run_id": previous_start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + PREVIOUS_RUN_SUFFIX,
        "customer": manifest["customer"],
        "started_at": previous_start.isoformat(),
        "kit_version": manifest.get("kit_version", ""),
    }
    target.mkdir(parents=True, exist_ok=True)
    ordered = sorted(kept.values(), key=lambda r: (r["control_id"], r["check_id"], r["account_id"], r["region"], r["resource"]))
    for name, data in (("findings.json", ordered), ("controls.json", items), (RUN_FACTS, facts)):
        with open(target / name, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
    accepted = sum(1 for r in ordered if r.get("accepted_risk"))
    return {"findings": len(ordered), "items": len(items), "accepted": accepted}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tools/make_demo_previous.py DEMO_RUN_FOLDER", file=sys.stderr)
        return 2
    counts = make(Path(argv[0]))
    if counts["accepted"] != len(ACCEPTED_A_YEAR_AGO):
        print(f"an accepted risk of {ACCEPTED_A_YEAR_AGO} matched no finding of the run", file=sys.stderr)
        return 1
    print(f"{TARGET}: {counts['findings']} findings, {counts['items']} items")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
