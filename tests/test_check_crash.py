"""A check that breaks on evidence of a shape it does not expect is an ``error`` finding naming the check,
never a dead run (hand-built evidence: the emulator always answers in the shape the checks expect)."""

from __future__ import annotations

from conftest import make_bundle, run_one

from assess_lib.core.model import Verdict
from assess_lib.pipeline import evaluate


def test_a_check_that_breaks_is_an_error_naming_it_and_the_run_goes_on(tmp_path):
    # Self-consistent (it verifies) but not what the collector writes: rules that are not a list.
    odd = [{"group_id": "sg-1", "group_name": "web", "ingress": 7, "egress": [], "attached": True}]
    bundle = make_bundle(tmp_path, {("ec2.security_groups", "ap-northeast-1"): odd})
    assert bundle.verify() == []
    findings = run_one("sg_ingress_internet", bundle)
    assert findings and all(f.verdict == Verdict.ERROR for f in findings)
    assert "sg_ingress_internet" in findings[0].message_en and "could not evaluate" in findings[0].message_en
    assert "sg_ingress_internet" in findings[0].message_ja
    assert findings[0].details["error_kind"] == "other"
    # The whole evaluation finishes, with every other check's own findings.
    assessment = evaluate(bundle)
    assert any(f.check_id == "sg_ingress_internet" and f.verdict == Verdict.ERROR for f in assessment.findings)
    assert len({f.check_id for f in assessment.findings}) > 10
