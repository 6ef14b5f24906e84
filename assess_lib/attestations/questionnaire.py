"""The Excel questionnaire: generated in Japanese (English alongside with ``language="en"``), read back
into the same structure as the YAML attestation file.

Sheets: 記入方法 (instructions), 基本情報 (who answered, when), 回答シート (one row per item
heading, question, document and notes; header row frozen). Cells are never written as
formulas, and formulas typed by the customer are read back as their literal text.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any, Iterator

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser  # streaming rows (pinned openpyxl; see _rows)
from openpyxl.worksheet.datavalidation import DataValidation

from ..catalog import load_catalog
from ..params import ParamsError
from ..safe_input import MAX_XLSX_BYTES, read_input_bytes, shown
from .questions import Question, question_bank
from .schema import DOCUMENT_KEYS

ANSWER_SHEET = "回答シート"
INFO_SHEET = "基本情報"
GUIDE_SHEET = "記入方法"

# Answer-sheet columns: (key, Japanese header, English header, width).
COLUMNS = [
    ("control_id", "項目ID", "Item ID", 10),
    ("kind", "区分", "Row type", 12),
    ("question_id", "質問ID", "Question ID", 24),
    ("question", "項目・質問", "Item / question", 60),
    ("format", "回答方法", "How to answer", 30),
    ("answer", "回答", "Answer", 40),
    ("title", "文書名", "Document title", 30),
    ("approver", "承認者", "Approver", 16),
    ("approval_date", "承認日", "Approval date", 13),
    ("last_review_date", "最終見直し日", "Last review date", 13),
    ("location", "保管場所", "Location", 30),
]
COL = {key: index + 1 for index, (key, *_rest) in enumerate(COLUMNS)}
INPUT_KEYS = ("answer", "title", "approver", "approval_date", "last_review_date", "location")

# Row types (column 区分). Reader takes the part before " / ", so "文書 / Document" works too.
KINDS = {"item": ("項目", "Item"), "question": ("質問", "Question"), "document": ("文書", "Document"), "notes": ("備考", "Notes")}
INFO_FIELDS = [
    ("organisation", "金融機関名", "Institution"),
    ("prepared_by", "回答者（部署・氏名）", "Prepared by (department, name)"),
    ("prepared_on", "回答日（YYYY-MM-DD）", "Date answered (YYYY-MM-DD)"),
]

FORMAT_HINTS = {
    "yes_no": ("「はい」または「いいえ」", "yes or no (はい / いいえ)"),
    "date": ("日付（YYYY-MM-DD）", "date (YYYY-MM-DD)"),
    "text": ("自由記述", "free text"),
    "topics": (
        "該当する事項を「、」区切りで記入（番号でも可）:",
        "the topics that apply, separated by commas (numbers allowed):",
    ),
    "choice": ("次のいずれか1つ:", "one of:"),
}

HEADER_FILL = PatternFill("solid", fgColor="1A3C6E")
ITEM_FILL = PatternFill("solid", fgColor="D9E1F2")
FIXED_FILL = PatternFill("solid", fgColor="F2F2F2")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")


def _put(cell: Cell, value: Any) -> Cell:
    """Write a value as data, never as a formula (text starting with '=' stays text)."""
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _bi(ja: str, en: str, language: str) -> str:
    return ja if language == "ja" else f"{ja}\n{en}"


def _kind_label(kind: str, language: str) -> str:
    ja, en = KINDS[kind]
    return ja if language == "ja" else f"{ja} / {en}"


def _format_hint(question: Question, language: str) -> str:
    ja, en = FORMAT_HINTS[question.type]
    if question.type in ("topics", "choice"):
        numbered = (
            [f"{n}. {o.ja}" for n, o in enumerate(question.options, 1)]
            if question.type == "topics"
            else [o.ja for o in question.options]
        )
        ja = ja + "\n" + "\n".join(numbered)
        en = (
            en
            + "\n"
            + "\n".join(
                [f"{n}. {o.en}" for n, o in enumerate(question.options, 1)]
                if question.type == "topics"
                else [o.en for o in question.options]
            )
        )
    return _bi(ja, en, language)


def _answer_text(question: Question, value: Any) -> Any:
    """A normalised answer as the customer would type it in the sheet."""
    if value is None:
        return None
    if question.type == "yes_no":
        return "はい" if value else "いいえ"
    if question.type == "date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if question.type in ("topics", "choice"):
        ids = value if isinstance(value, list) else [value]
        labels = {o.id: o.ja for o in question.options}
        return "、".join(labels.get(i, i) for i in ids)
    return value


def write_questionnaire(path: Path | str, language: str = "ja", prefill: dict[str, Any] | None = None) -> Path:
    """Generate the questionnaire for every item the kit has questions for.

    ``prefill`` (normalised attestations) fills in earlier answers, e.g. for the annual update.
    """
    if language not in ("ja", "en"):
        raise ValueError("language must be ja or en")
    path = Path(path)
    bank = question_bank()
    catalog = load_catalog()
    items = (prefill or {}).get("items", {})
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    _guide(guide, language)
    info = wb.create_sheet(INFO_SHEET)
    _info(info, language, prefill or {})
    ws = wb.create_sheet(ANSWER_SHEET)
    for index, (_key, ja, en, width) in enumerate(COLUMNS, 1):
        cell = _put(ws.cell(row=1, column=index), _bi(ja, en, language) if language == "en" else ja)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = "A2"
    yes_no = DataValidation(type="list", formula1='"はい,いいえ"', allow_blank=True)
    ws.add_data_validation(yes_no)
    row = 2
    for control_id, questions in bank.items.items():
        control = catalog.get(control_id)
        attested = items.get(control_id, {})
        heading = f"{control.title('ja')}\n{questions.ask('ja')}"
        if language == "en":
            heading += f"\n\n{control.title('en')}\n{questions.ask('en')}"
        _row(ws, row, control_id, "item", "", heading, "", language, ITEM_FILL)
        row += 1
        for question in questions.questions:
            _row(
                ws,
                row,
                control_id,
                "question",
                question.id,
                _bi(question.ja, question.en, language),
                _format_hint(question, language),
                language,
            )
            answer = _put(
                ws.cell(row=row, column=COL["answer"]), _answer_text(question, attested.get("answers", {}).get(question.id))
            )
            answer.fill = INPUT_FILL
            if question.type == "yes_no":
                yes_no.add(answer)
            if question.type == "date":
                answer.number_format = "yyyy-mm-dd"
            row += 1
        documents = list(attested.get("documents", []))
        for number in range(1, max(questions.document_rows, len(documents)) + 1):
            hint = _bi(
                "文書名・承認者・承認日・最終見直し日・保管場所を記入（行をコピーして追加可）",
                "Fill in title, approver, approval date, last review date, location (copy the row to add more)",
                language,
            )
            _row(
                ws,
                row,
                control_id,
                "document",
                f"{number}",
                _bi(questions.documents_ja, questions.documents_en, language),
                hint,
                language,
            )
            doc = documents[number - 1] if number <= len(documents) else {}
            for key in DOCUMENT_KEYS:
                value = doc.get(key)
                if key in ("approval_date", "last_review_date") and value:
                    value = dt.date.fromisoformat(value)
                cell = _put(ws.cell(row=row, column=COL[key]), value)
                cell.fill = INPUT_FILL
                if key in ("approval_date", "last_review_date"):
                    cell.number_format = "yyyy-mm-dd"
            row += 1
        _row(
            ws,
            row,
            control_id,
            "notes",
            "notes",
            _bi("補足事項（任意）", "Anything else (optional)", language),
            _bi("自由記述", "free text", language),
            language,
        )
        _put(ws.cell(row=row, column=COL["answer"]), attested.get("notes")).fill = INPUT_FILL
        row += 1
    for cells in ws.iter_rows(min_row=2, max_row=row - 1):
        for cell in cells:
            cell.alignment = WRAP
    wb.active = wb.sheetnames.index(ANSWER_SHEET)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _row(
    ws: Any,
    row: int,
    control_id: str,
    kind: str,
    question_id: str,
    text: str,
    hint: str,
    language: str,
    fill: PatternFill = FIXED_FILL,
) -> None:
    values = {
        "control_id": control_id,
        "kind": _kind_label(kind, language),
        "question_id": question_id,
        "question": text,
        "format": hint,
    }
    for key, value in values.items():
        _put(ws.cell(row=row, column=COL[key]), value).fill = fill
    if kind == "item":
        ws.cell(row=row, column=COL["question"]).font = Font(bold=True)
        for key in INPUT_KEYS:
            ws.cell(row=row, column=COL[key]).fill = fill


def _guide(ws: Any, language: str) -> None:
    ja = [
        "サイバーセキュリティに関する回答シート（金融分野におけるサイバーセキュリティに関するガイドライン）",
        "",
        "1. 「基本情報」シートに金融機関名・回答者・回答日を記入してください。",
        "2. 「回答シート」の白いセル（回答・文書名・承認者・承認日・最終見直し日・保管場所）に記入してください。灰色のセルは変更しないでください。",
        "3. 区分「質問」の行は「回答」列に、区分「文書」の行は文書名〜保管場所の列に記入します。文書が足りない場合は「文書」行をコピーして挿入してください（項目ID・区分は残してください）。",
        "4. 日付は YYYY-MM-DD（例：2025-04-01）で記入してください。未来の日付は記入できません。",
        "5. 複数選択の質問は、該当する事項を「、」区切りで記入してください（番号でも可）。",
        "6. 数式は使用しないでください（数式は文字列として読み込まれます）。",
        "7. 分からない項目は空欄のままで構いません。空欄の項目は当社コンサルタントがヒアリングで確認します（判定は「要確認」）。",
        "8. 記入後、このファイルをアセスメント担当者に返送してください。params ファイルの attestations: にこのファイル名を指定して評価します。",
    ]
    en = [
        "",
        "Cybersecurity questionnaire (FSA Guidelines on Cybersecurity for the Financial Sector)",
        "",
        "1. On the 基本情報 (basic information) sheet, fill in the institution, who answered and the date.",
        "2. On the 回答シート (answer sheet), fill in the white cells (answer, document title, approver, dates, location). Do not change the grey cells.",
        "3. Question rows take their answer in the Answer column; document rows take title to location. Copy a document row to add documents (keep its item ID and row type).",
        "4. Write dates as YYYY-MM-DD (e.g. 2025-04-01). Dates in the future are rejected.",
        "5. For multiple-choice questions list the topics that apply, separated by commas (numbers allowed).",
        "6. Do not use formulas: they are read as plain text.",
        "7. Leave a cell empty if unsure: the consultant will ask in the interview (verdict: needs review).",
        "8. Return the file to the assessor; it is named under attestations: in the params file.",
    ]
    lines = ja + (en if language == "en" else [])
    for index, text in enumerate(lines, 1):
        cell = _put(ws.cell(row=index, column=1), text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=13)
    if language == "en":
        ws.cell(row=len(ja) + 2, column=1).font = Font(bold=True, size=13)
    ws.column_dimensions["A"].width = 120


def _info(ws: Any, language: str, prefill: dict[str, Any]) -> None:
    for index, (head, width) in enumerate(
        (
            ("キー" if language == "ja" else "キー / Key", 16),
            ("項目" if language == "ja" else "項目 / Field", 36),
            ("回答" if language == "ja" else "回答 / Answer", 40),
        ),
        1,
    ):
        cell = _put(ws.cell(row=1, column=index), head)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        ws.column_dimensions[cell.column_letter].width = width
    for row, (key, ja, en) in enumerate(INFO_FIELDS, 2):
        _put(ws.cell(row=row, column=1), key).fill = FIXED_FILL
        _put(ws.cell(row=row, column=2), _bi(ja, en, language)).fill = FIXED_FILL
        value = prefill.get(key)
        if key == "prepared_on" and value:
            value = dt.date.fromisoformat(value)
        cell = _put(ws.cell(row=row, column=3), value)
        if key == "prepared_on":
            cell.number_format = "yyyy-mm-dd"


# --- reading back -----------------------------------------------------------------------------


# Limits for reading a returned questionnaire. The generated one is ~15 kB (~50 kB of XML).
MAX_ZIP_MEMBERS = 200
MAX_ZIP_DIRECTORY = 256 * 1024  # bytes of the zip's central directory: 200 entries take ~20 kB
MAX_UNCOMPRESSED = 30 * 1024 * 1024  # all parts together, as the zip declares them (zipfile never reads past that)
MAX_RATIO = 200  # uncompressed/compressed of any part above 1 MB: spreadsheet XML is ~10-30, a zip bomb far more
MAX_ANSWER_ROWS = 20_000  # far more rows than the layout with every document row copied many times
MAX_INFO_ROWS = 50
INFO_COLUMNS = 3
ANSWER_COLUMNS = len(COLUMNS)
_FIX = "use the questionnaire generated by `python -m assess_lib questionnaire`, filled in Excel and saved as .xlsx"


def _check_zip(path: Path, content: bytes) -> None:
    """The .xlsx container before openpyxl sees it: a zip of bounded member count and size, not a bomb."""
    name = shown(str(path), 300)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ParamsError(
            f"{name}: an Excel 97-2003 (.xls) or password-protected workbook, which the kit cannot read. "
            "Fix: remove any password and save it as 'Excel Workbook (*.xlsx)'"
        )
    # The zip's directory, before zipfile reads it: zipfile builds an object per entry listed, whatever the count.
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if end >= 0 and len(content) >= end + 22:
        entries = int.from_bytes(content[end + 10 : end + 12], "little")
        directory = int.from_bytes(content[end + 12 : end + 16], "little")
        if entries > MAX_ZIP_MEMBERS or directory > MAX_ZIP_DIRECTORY:
            raise ParamsError(
                f"{name}: the workbook lists {entries} parts in a {directory}-byte directory (at most {MAX_ZIP_MEMBERS}). "
                f"Fix: {_FIX}"
            )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise ParamsError(
            f"{name}: not an Excel workbook (an .xlsx file is a zip archive; this one is not). Fix: {_FIX}"
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise ParamsError(f"{name}: the workbook holds {len(members)} parts (at most {MAX_ZIP_MEMBERS}). Fix: {_FIX}")
        total = 0
        for member in members:
            total += member.file_size
            if member.flag_bits & 0x1:
                raise ParamsError(f"{name}: the workbook is encrypted. Fix: remove the password and save it again")
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 1024 * 1024 and ratio > MAX_RATIO:
                raise ParamsError(
                    f"{name}: part {shown(member.filename, 60)} expands {ratio:.0f}-fold (a zip bomb?). Fix: {_FIX}"
                )
        if total > MAX_UNCOMPRESSED:
            raise ParamsError(
                f"{name}: the workbook expands to {total // (1024 * 1024)} MB (at most {MAX_UNCOMPRESSED // (1024 * 1024)} MB). "
                f"Fix: {_FIX}; delete pictures and unused sheets"
            )
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise ParamsError(f"{name}: a zip archive but not an Excel workbook. Fix: {_FIX}")


def _cell_value(cell: dict[str, Any]) -> Any:
    """A parsed cell's value: formulas neutralised to their literal text (never evaluated), datetimes to dates."""
    value = cell["value"]
    if cell["data_type"] == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
        text = getattr(value, "text", value)
        return str(text)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return value.strip() or None
    return value


def _rows(wb: Any, sheet: str, max_columns: int) -> Iterator[tuple[int, dict[int, Any]]]:
    """``(row number, {column: value})`` for the rows the sheet's XML holds, leftmost ``max_columns`` only.

    Streams the sheet: only rows present in the file are produced, so a cell in row 1,048,576 costs one
    row, not a million (openpyxl's own iteration fills the gap, and its normal mode builds every cell).
    """
    ws = wb[sheet]
    with ws._get_source() as source:
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=False,  # formulas come back as their text, never a cached or computed result
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for number, cells in parser.parse():
            yield number, {c["column"]: _cell_value(c) for c in cells if c["column"] <= max_columns}


def _where(sheet: str, row: int, column: int) -> str:
    return f"{sheet}!{get_column_letter(column)}{row}"


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    head = str(value).split("/")[0].strip().casefold()
    for kind, (ja, en) in KINDS.items():
        if head in (ja.casefold(), en.casefold()):
            return kind
    return None


_NUMBER = re.compile(r"(?:(?<=^)|(?<=[,，、;；\n]))\s*(\d+)\.?\s*(?=$|[,，、;；\n])")


def _topic_numbers(question: Question, value: Any) -> Any:
    """Topic answers may use the numbers shown in the hint column: replace them by the topic ids."""
    if question.type != "topics" or value is None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)

    def label(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return question.options[number - 1].id if 1 <= number <= len(question.options) else match.group(0)

    return _NUMBER.sub(label, str(value))


def read_questionnaire(path: Path | str, content: bytes | None = None) -> tuple[dict[str, Any], Any]:
    """The filled questionnaire as attestation data (same shape as the YAML file), and a
    ``locate(item, field)`` that names the cell of a field for error messages.

    ``content`` is the file as read (bounded) by the caller; read here when not given. Only the known
    sheets are read, within the questionnaire's columns and at most :data:`MAX_ANSWER_ROWS` rows.
    """
    path = Path(path)
    if content is None:
        content = read_input_bytes(path, "questionnaire", MAX_XLSX_BYTES, "check the path of the questionnaire")
    _check_zip(path, content)
    name = shown(str(path), 300)
    where = "the workbook"
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False, keep_vba=False)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many types for a corrupt or foreign file
        raise ParamsError(f"{name}: cannot be read as an Excel workbook ({shown(str(err), 120)}). Fix: {_FIX}") from None
    try:
        if ANSWER_SHEET not in wb.sheetnames:
            raise ParamsError(f"{name}: no sheet '{ANSWER_SHEET}'. Fix: {_FIX}, keeping its sheet names")
        cells: dict[tuple[str | None, str], str] = {}
        data: dict[str, Any] = {"items": {}}
        if INFO_SHEET in wb.sheetnames:
            where = f"sheet {INFO_SHEET}"
            info_keys = {k for k, _ja, _en in INFO_FIELDS}
            for number, row in _rows(wb, INFO_SHEET, INFO_COLUMNS):
                if number > MAX_INFO_ROWS:
                    break  # the fields are in rows 2-4; nothing further down is read
                key = row.get(1)
                if number >= 2 and isinstance(key, str) and key in info_keys:
                    data[key] = row.get(3)
                    cells[(None, key)] = _where(INFO_SHEET, number, 3)
        where = f"sheet {ANSWER_SHEET}"
        _answer_rows(wb, name, data, cells)
    except ParamsError:
        raise
    except Exception as err:  # noqa: BLE001 - malformed XML, bad cell references, odd values: one message
        raise ParamsError(f"{name}: {where} cannot be read ({shown(f'{type(err).__name__}: {err}', 120)}). Fix: {_FIX}") from None
    finally:
        wb.close()
    data["items"] = {k: v for k, v in data["items"].items() if v}

    def locate(item: str | None, field: str) -> str | None:
        return cells.get((item, field))

    return data, locate


def _answer_rows(wb: Any, name: str, data: dict[str, Any], cells: dict[tuple[str | None, str], str]) -> None:
    """Fill ``data`` and ``cells`` from the answer sheet's rows."""
    bank = question_bank()
    doc_count: dict[str, int] = {}
    for number, row in _rows(wb, ANSWER_SHEET, ANSWER_COLUMNS):
        if number < 2:
            continue
        if number > MAX_ANSWER_ROWS:
            used = [column for column, value in row.items() if value is not None]
            if used:
                raise ParamsError(
                    f"{name} ({_where(ANSWER_SHEET, number, min(used))}): a value below row {MAX_ANSWER_ROWS}, outside the "
                    f"questionnaire's rows. Fix: delete the cell (or those rows), or move the answer into its item's rows"
                )
            continue
        control_id = row.get(COL["control_id"])
        kind = _kind(row.get(COL["kind"]))
        if control_id is None or kind in (None, "item"):
            continue
        control_id = str(control_id)
        item = data["items"].setdefault(control_id, {})
        if kind == "question":
            question_id = str(row.get(COL["question_id"]) or "")
            value = row.get(COL["answer"])
            if value is None:
                continue
            questions = bank.get(control_id)
            if questions is not None and question_id in questions.question_ids():
                value = _topic_numbers(questions.question(question_id), value)
            item.setdefault("answers", {})[question_id] = value
            cells[(control_id, f"answers.{question_id}")] = _where(ANSWER_SHEET, number, COL["answer"])
        elif kind == "notes":
            value = row.get(COL["answer"])
            if value is not None:
                item["notes"] = value
                cells[(control_id, "notes")] = _where(ANSWER_SHEET, number, COL["answer"])
        else:
            doc = {key: row.get(COL[key]) for key in DOCUMENT_KEYS}
            if not any(v is not None for v in doc.values()):
                continue
            count = doc_count[control_id] = doc_count.get(control_id, 0) + 1
            item.setdefault("documents", []).append(doc)
            for key in DOCUMENT_KEYS:
                cells[(control_id, f"documents[{count}].{key}")] = _where(ANSWER_SHEET, number, COL[key])
            cells[(control_id, f"documents[{count}]")] = f"{ANSWER_SHEET}!row {number}"


__all__ = ["ANSWER_SHEET", "GUIDE_SHEET", "INFO_SHEET", "read_questionnaire", "write_questionnaire"]
