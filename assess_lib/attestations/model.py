"""The attested evidence as stored in the bundle: three datasets of account ``org``, region ``global``.

Collection flattens the normalised attestations into the file's identity, one row per document and one row
per answer (with the question's words, so that the bundle reads on its own). The checks read these rows back
(``checks/answers.py``); they never read the customer's file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..catalog.questions import item_questions
from ..core.text import entry
from .schema import DOCUMENT_KEYS, NOTES

ORG_ACCOUNT = "org"  # account_id of organisational evidence (same value as core.rollup.ORG_ACCOUNT)
FILE_DATASET = "attestation.file"
DOCUMENTS_DATASET = "attestation.documents"
ANSWERS_DATASET = "attestation.answers"
DATASETS = (FILE_DATASET, DOCUMENTS_DATASET, ANSWERS_DATASET)

JST = dt.timezone(dt.timedelta(hours=9))  # the customer's calendar: dates are attested in Japan time


def to_rows(data: dict[str, Any], file_row: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Normalised attestations -> the rows of the three datasets."""
    documents: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    notes_label = entry("questionnaire.kind.notes")
    for control_id, item in data["items"].items():
        questions = item_questions(control_id)
        for doc in item["documents"]:
            documents.append({"control_id": control_id, **{k: doc[k] for k in DOCUMENT_KEYS}})
        for question_id, value in item["answers"].items():
            question = questions.question(question_id) if questions else None
            answers.append(
                {
                    "control_id": control_id,
                    "question_id": question_id,
                    "answer": value,
                    "question_ja": question.ja if question else None,
                    "question_en": question.en if question else None,
                }
            )
        if item.get("notes"):
            answers.append(
                {
                    "control_id": control_id,
                    "question_id": NOTES,
                    "answer": item["notes"],
                    "question_ja": notes_label["ja"],
                    "question_en": notes_label["en"],
                }
            )
    return {FILE_DATASET: [file_row], DOCUMENTS_DATASET: documents, ANSWERS_DATASET: answers}


__all__ = ["ANSWERS_DATASET", "DATASETS", "DOCUMENTS_DATASET", "FILE_DATASET", "JST", "ORG_ACCOUNT", "to_rows"]
