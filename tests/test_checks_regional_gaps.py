"""Missing evidence, check by check, over every registered account check (issue 10, point 12).

Hand-built bundles: the property is about every check at once, for evidence states (one region
denied, another empty) that the wire tests in test_faults.py reproduce for two checks through a
real proxy in front of the emulator.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_bundle
from conftest import run_one as run_single

from assess_lib.checks import ACCOUNT_SCOPE, registry, runner
from assess_lib.datasets import DATASETS, REGIONAL_SCOPE
from assess_lib.evidence import CollectionError

TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"
ACCOUNT_CHECKS = sorted(check_id for check_id, spec in registry().items() if spec.scope == ACCOUNT_SCOPE)


def evidence_of(check_id: str) -> list[str]:
    """The datasets a check rests on: its own and, for a composite check, those of the checks it reads."""
    spec = registry()[check_id]
    names = list(spec.datasets)
    for other in spec.record.reads:
        names += [n for n in evidence_of(other) if n not in names]
    return names


def run_one(check_id: str, bundle):
    """Findings of one check; a composite check first gets the results of the checks it reads (as the runner
    gives them: pipeline.evaluate runs those first)."""
    spec = registry()[check_id]
    if not spec.record.reads:
        return run_single(check_id, bundle)
    prior = {c: [f for f in run_one(c, bundle) if f.control_id == registry()[c].controls[0]] for c in spec.record.reads}
    return runner.run_check(spec, bundle, bundle.accounts[0], {}, prior=prior)


REGIONAL_ONLY = sorted(
    check_id for check_id in ACCOUNT_CHECKS if all(DATASETS[name].scope == REGIONAL_SCOPE for name in evidence_of(check_id))
)


def denied() -> CollectionError:
    return CollectionError("access_denied", "AccessDenied", "User is not authorized")


@pytest.mark.parametrize("check_id", ACCOUNT_CHECKS)
def test_no_evidence_at_all_is_only_errors(tmp_path, check_id):
    """Every dataset denied in every region and globally: errors, one per dataset and region, never a verdict."""
    data = {}
    for name in evidence_of(check_id):
        for region in [TOKYO, OSAKA] if DATASETS[name].scope == REGIONAL_SCOPE else ["global"]:
            data[(name, region)] = denied()
    findings = run_one(check_id, make_bundle(tmp_path, data, regions=[TOKYO, OSAKA]))
    assert findings and {f.verdict.value for f in findings} == {"error"}, [(f.verdict.value, f.message_en) for f in findings]
    first = findings[0].control_id
    keys = [(f.resource, f.region) for f in findings if f.control_id == first]
    assert len(keys) == len(set(keys)), "one error per dataset and region"


@pytest.mark.parametrize("check_id", REGIONAL_ONLY)
def test_a_denied_region_is_never_read_as_an_empty_one(tmp_path, check_id):
    """Tokyo gathered and empty, Osaka denied: nothing may conclude "there is none" (not applicable, or a pass
    on nothing) while Osaka is unknown; Osaka is an error naming its dataset. A failure that Tokyo's evidence
    alone proves may stand beside it (no multi-region trail: such a trail is listed in every region)."""
    data = {}
    for name in evidence_of(check_id):
        data[(name, TOKYO)] = []
        data[(name, OSAKA)] = denied()
    findings = run_one(check_id, make_bundle(tmp_path, data, regions=[TOKYO, OSAKA]))
    first = findings[0].control_id
    mine = [f for f in findings if f.control_id == first]
    seen = {f.verdict.value for f in mine}
    assert "error" in seen and seen <= {"error", "fail"}, [(f.verdict.value, f.message_en) for f in mine]
    assert {f.region for f in mine if f.verdict.value == "error"} == {OSAKA}
    assert all(OSAKA not in f.message_en for f in mine if f.verdict.value == "fail"), "a failure never names an unread region"


def test_check_modules_do_not_loop_over_regions_themselves():
    """Regions are iterated through CheckContext.regional_rows / per_region, which isolate missing evidence."""
    folder = Path(__file__).resolve().parents[1] / "assess_lib" / "checks"
    loops = [
        f"{path.name}:{number}"
        for path in sorted(folder.glob("s*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r"\s*for\s+\w+\s+in\s+ctx\.regions\b", line)
    ]
    assert loops == []
