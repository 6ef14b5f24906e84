"""Roll-up of finding verdicts to a control verdict."""

from __future__ import annotations

import pytest

from assess_lib.findings import Verdict, rollup

P, F, E, M, N = Verdict.PASS, Verdict.FAIL, Verdict.ERROR, Verdict.MANUAL, Verdict.NOT_APPLICABLE


@pytest.mark.parametrize(
    "verdicts, expected",
    [
        ([], M),
        ([P, P], P),
        ([F], F),
        ([F, F, N], F),
        ([P, F], Verdict.PARTIAL),
        ([P, E], E),  # a pass cannot rest on missing evidence
        ([F, E], F),
        ([P, M], M),
        ([N, N], N),
        ([P, N], P),
        ([E, M], E),
    ],
)
def test_rollup(verdicts, expected):
    assert rollup(verdicts) == expected


def test_labels_in_both_languages():
    assert Verdict.MANUAL.label("ja") == "要確認" and Verdict.ERROR.label("ja") == "取得不可"
    assert Verdict.PARTIAL.label("en") == "Partially compliant"
