"""Transitional: the names the kit imported from here before the core model (assess_lib.core). Removed
once every importer reads the core directly."""

from __future__ import annotations

from typing import Any

from .core.model import (  # noqa: F401
    BLOCKING_SEVERITIES,
    SEVERITY_ORDER,
    VERDICT_COLOURS,
    VERDICT_ORDER,
    Finding,
    Verdict,
    severity_label,
    severity_rank,
)
from .core.rollup import (  # noqa: F401
    ATTESTATION_PREFIX,
    BASIS_ANSWER,
    BASIS_EVIDENCE,
    BASIS_JUDGMENT,
    BASIS_ORDER,
    DECIDED,
    answer_only,
    basis_label,
    basis_list,
    explain_rollup,
    finding_basis,
    item_basis,
    rollup,
    rollup_rules,
)
from .core.text import t

VERDICT_LABELS: dict[str, dict[str, str]] = {
    v: {lang: t(f"verdict.{v}.label", lang) for lang in ("ja", "en")} for v in VERDICT_ORDER
}


def severity_levels() -> list[dict[str, Any]]:
    return [
        {
            "id": s,
            "ja": t(f"severity.{s}.label", "ja"),
            "en": t(f"severity.{s}.label", "en"),
            "blocking": s in BLOCKING_SEVERITIES,
            "def_ja": t(f"severity.{s}.definition", "ja"),
            "def_en": t(f"severity.{s}.definition", "en"),
        }
        for s in SEVERITY_ORDER
    ]


def answer_only_note(lang: str = "ja") -> str:
    return t("basis.answer_only_note", lang)
