"""Evidence tables' headings and chosen columns (report/view.py) against the dataset declarations.

Offline and fast: the declarations (assess_lib/*/…datasets.yaml) and the text catalogue only. A dataset added
later fails here until its columns have a heading and its table a column list; the message names the
dataset, the column and the file to add it to.
"""

from __future__ import annotations

import re

import pytest

from assess_lib.core.text import has, t
from assess_lib.datasets import AWS_SCOPES, DATASETS
from assess_lib.report.view import EVIDENCE_COLUMNS, evidence_table, field_label, humanise

LABEL_FILE = "assess_lib/text/fields.yaml"
COLUMNS_FILE = "assess_lib/report/view.py (EVIDENCE_COLUMNS)"
LANGS = ("ja", "en")
ALWAYS_SHOWN = ("account", "region")  # evidence_table puts them first by itself
MAX_CURATED = 9  # a table wider than this no longer fits the PDF page
SECRET_WORDS = re.compile(r"secret|password$|private_key|pre_shared|psk|token$", re.I)


def _label_key(name: str) -> str | None:
    """The catalogue key that heads a column (field_label's order), or None when it would be humanised."""
    return next((key for key in (f"field.{name}", f"report.column.{name}") if has(key)), None)


def test_every_declared_column_has_a_heading_in_both_languages():
    problems = []
    for name, info in sorted(DATASETS.items()):
        for column in info.columns:
            key = _label_key(column.name)
            if key is None:
                problems.append(
                    f"{name}.{column.name} (declared in {info.source}) has no heading: add "
                    f"'{column.name}: {{ja: ..., en: ...}}' under 'field:' in {LABEL_FILE}"
                )
                continue
            for lang in LANGS:
                text = t(key, lang)
                if not text.strip():
                    problems.append(f"{name}.{column.name}: {key} is empty in {lang} ({LABEL_FILE})")
    assert not problems, "\n".join(problems)


def test_japanese_headings_are_not_the_english_words():
    """A Japanese heading that is the humanised identifier is the fallback in disguise ("Engine version")."""
    columns = {c.name for info in DATASETS.values() for c in info.columns}
    leftovers = sorted(c for c in columns if field_label(c, "ja") == humanise(c))
    assert not leftovers, f"Japanese headings that are the English words: {leftovers}: translate them in {LABEL_FILE}"


def test_evidence_columns_name_declared_columns_of_declared_datasets():
    problems = []
    for dataset, columns in EVIDENCE_COLUMNS.items():
        info = DATASETS.get(dataset)
        if info is None:
            problems.append(f"{COLUMNS_FILE} lists {dataset!r}, which no *datasets.yaml declares")
            continue
        if len(columns) > MAX_CURATED:
            problems.append(f"{dataset}: {len(columns)} columns in {COLUMNS_FILE}, at most {MAX_CURATED} fit a page")
        if len(set(columns)) != len(columns):
            problems.append(f"{dataset}: a column is listed twice in {COLUMNS_FILE}")
        for pattern in columns:
            for lang in LANGS:
                column = pattern.format(lang=lang)
                if column in ALWAYS_SHOWN:
                    problems.append(f"{dataset}: {column!r} is always shown first; leave it out of {COLUMNS_FILE}")
                elif info.column(column) is None:
                    problems.append(f"{dataset}: {column!r} in {COLUMNS_FILE} is not a column declared in {info.source}")
                elif SECRET_WORDS.search(column):
                    problems.append(f"{dataset}: {column!r} looks like a secret; never show it ({COLUMNS_FILE})")
    assert not problems, "\n".join(sorted(set(problems)))


def test_every_aws_dataset_has_chosen_columns():
    missing = [
        f"{name} (declared in {info.source}) has no entry in {COLUMNS_FILE}: list its identifying column(s), then "
        "the columns its checks read (at most about 7)"
        for name, info in sorted(DATASETS.items())
        if info.scope in AWS_SCOPES and name not in EVIDENCE_COLUMNS
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("lang", LANGS)
def test_chosen_columns_are_the_table_and_headed_from_the_catalogue(lang):
    """A table built from a row holding every declared column shows the chosen ones, in order, labelled."""
    import pandas as pd

    dataset = "rds.db_instances"
    info = DATASETS[dataset]
    row = {"account": "123456789012", "region": "ap-northeast-1", **{c.name: None for c in info.columns}}
    row.update(db_instance_id="db-1", engine="mysql", engine_version="5.7.44", storage_encrypted=False)
    table = evidence_table(pd.DataFrame([row]), dataset, lang)
    assert table["fields"] == ["account", "region", *EVIDENCE_COLUMNS[dataset]]
    assert table["columns"][3:5] == [t("field.engine", lang), t("field.engine_version", lang)]
    assert table["columns"][4] == ("エンジンバージョン" if lang == "ja" else "Engine version")
    assert table["rows"][0][2:5] == ["db-1", "mysql", "5.7.44"]


def test_a_customers_tag_keys_and_aws_values_are_shown_as_written():
    """Tag keys are the customer's own words: "owner" is not the kit's 改善の担当者, DataClassification is not split."""
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "account": "123456789012",
                "region": "ap-northeast-1",
                "arn": "arn:x",
                "tags": {"owner": "情報システム部", "DataClassification": "confidential"},
            }
        ]
    )
    table = evidence_table(frame, "tagging.resources", "ja")
    cell = table["rows"][0][table["fields"].index("tags")]
    assert cell == "owner: 情報システム部、DataClassification: confidential", cell
    from assess_lib.report.view import format_value

    assert format_value({"EBS_MALWARE_PROTECTION": "ENABLED"}, "en") == "EBS_MALWARE_PROTECTION: ENABLED"
