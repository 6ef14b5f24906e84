"""The comparison with the previous assessment: what is new, resolved or still open, and which verdicts changed.

A side of the comparison (:class:`RunSide`) is read from a run folder (``findings.json``, ``controls.json`` and
the evidence manifest's facts), from a small previous-run folder (the same two files and ``run.json`` holding
those facts: the demo's ``assess_lib/demo/previous``, and the copy a run keeps in its evidence bundle), or made
from an assessment just evaluated. Findings are matched by their stable ID (check, account, region, resource:
:func:`assess_lib.core.model.finding_id`); a run of an older kit without ``finding_id`` gets it computed from
the four fields. The findings that matter to the customer are those that fail (accepted risks included) or
could not be assessed (``error``); a passing finding only tells that an earlier failure is resolved.

With ``previous:`` in the params, collection keeps the previous run's results in the bundle
(:func:`keep_previous`, folder ``previous``) so that evaluation, ``report --bundle`` and ``verify`` need
nothing outside it; evaluation dates each open finding (``first_seen``) so that ages chain across years.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .core.model import EXPIRED, VERDICT_ORDER, Finding, finding_order
from .results import CONTROLS, FINDING_FIELDS, FINDINGS, ITEM_FIELDS, ResultsError, read_records

OPEN_VERDICTS = frozenset({"fail", "error"})  # the findings compared: failures (accepted ones too) and errors
RUN_FACTS = "run.json"  # a previous-run folder without its bundle: the manifest's facts compared
PREVIOUS_FOLDER = "previous"  # where a run's bundle keeps the previous run's results
KEPT_FILES = (FINDINGS, CONTROLS, RUN_FACTS)
JST = dt.timezone(dt.timedelta(hours=9))  # collection dates are the customer's calendar dates
MAX_FACTS_BYTES = 1 << 20
_FINDING_ID_RE = re.compile(r"^F-[0-9a-f]{16}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CompareError(ValueError):
    """Two runs that cannot be compared; one paragraph naming the folder, the problem and the fix."""


def _optional_mapping(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _optional_date(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str) or not _DATE_RE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# What a previous run must hold to be compared (an older kit's files hold at least these).
_COMPARED_FINDING = ("check_id", "control_id", "verdict", "account_id", "region", "resource", "message_ja", "message_en")
FINDING_CHECKS = {name: FINDING_FIELDS[name] for name in _COMPARED_FINDING}
ITEM_CHECKS = {name: ITEM_FIELDS[name] for name in ("control_id", "verdict", "title_ja", "title_en")}
_OPTIONAL_FINDING: dict[str, Any] = {
    "finding_id": (lambda v: isinstance(v, str) and bool(_FINDING_ID_RE.match(v)), "F- and 16 hex digits"),
    "accepted_risk": (_optional_mapping, "null or an object"),
    "first_seen": (_optional_date, "null or a date (YYYY-MM-DD)"),
    "severity": (lambda v: isinstance(v, str), "a text"),
    "details": (lambda v: isinstance(v, dict), "an object"),
}


def chapter_of(control_id: str) -> str:
    """The level-2 section (2.1 ... 2.6) of a control ID (``2.3.1-5`` -> ``2.3``), known to the catalogue or not."""
    return ".".join(control_id.split("-", 1)[0].split(".")[:2])


def _date_of(timestamp: str) -> dt.date:
    when = dt.datetime.fromisoformat(timestamp)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(JST).date()


@dataclass(frozen=True)
class RunFacts:
    """Which run a side is: its ID, customer and when its evidence was collected (``started_at``, ISO)."""

    run_id: str
    customer: str
    started_at: str
    kit_version: str = ""

    @property
    def collected_on(self) -> dt.date:
        """The collection date in Japan time (the customer's calendar)."""
        return _date_of(self.started_at)

    def to_dict(self) -> dict[str, str]:
        return {"run_id": self.run_id, "customer": self.customer, "started_at": self.started_at, "kit_version": self.kit_version}


@dataclass(frozen=True)
class ItemState:
    control_id: str
    verdict: str
    title_ja: str
    title_en: str

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ja


@dataclass
class RunSide:
    """One run as compared: its facts, its findings by stable ID and its items' verdicts."""

    where: str  # the folder it was read from (named in messages), or "" for an assessment just evaluated
    facts: RunFacts
    findings: dict[str, Finding] = field(default_factory=dict)  # finding_id -> the most serious finding of that ID
    controls: dict[str, tuple[str, ...]] = field(default_factory=dict)  # finding_id -> the items it belongs to
    items: dict[str, ItemState] = field(default_factory=dict)

    def add(self, finding_id: str, finding: Finding) -> None:
        """One finding; a check mapped to several items gives one finding per item, one ID for all of them."""
        held = self.findings.get(finding_id)
        if held is None or finding_order(finding) < finding_order(held):
            self.findings[finding_id] = finding
        controls = self.controls.get(finding_id, ())
        if finding.control_id not in controls:
            self.controls[finding_id] = (*controls, finding.control_id)

    def open(self, finding_id: str) -> bool:
        found = self.findings.get(finding_id)
        return found is not None and found.verdict.value in OPEN_VERDICTS


def side_of(assessment: Any) -> RunSide:
    """The side of an assessment just evaluated (or read back)."""
    manifest = assessment.bundle.manifest
    facts = RunFacts(
        str(manifest.get("run_id") or ""),
        str(manifest.get("customer") or ""),
        str(manifest.get("started_at") or ""),
        str(manifest.get("kit_version") or ""),
    )
    side = RunSide("", facts)
    for finding in assessment.findings:
        side.add(finding.finding_id, finding)
    for item in assessment.items:
        side.items[item.control_id] = ItemState(item.control_id, item.verdict, item.title_ja, item.title_en)
    return side


# --- reading a run folder -------------------------------------------------------------------------------------


def _not_a_run(folder: Path) -> CompareError:
    return CompareError(
        f"{folder}: not a run folder of the kit (no {FINDINGS}, {CONTROLS} and evidence/ there, nor {RUN_FACTS} of a "
        "previous-run folder). Fix: name the folder a run wrote (python -m assess_lib run --params FILE --out FOLDER, "
        "or demo --out FOLDER), the one holding report.html and findings.json"
    )


def _facts_from(folder: Path, data: Any, what: str) -> RunFacts:
    if not isinstance(data, dict):
        raise CompareError(f"{folder}: {what} is not an object. Fix: restore the run folder as the kit wrote it")
    values = {}
    for name in ("run_id", "customer", "started_at"):
        value = data.get(name)
        if not isinstance(value, str) or not value:
            raise CompareError(f"{folder}: {what} has no {name!r}. Fix: restore the run folder as the kit wrote it")
        values[name] = value
    try:
        _date_of(values["started_at"])
    except ValueError:
        raise CompareError(
            f"{folder}: {what}: 'started_at' is not a time (ISO 8601). Fix: restore the run folder as the kit wrote it"
        ) from None
    return RunFacts(values["run_id"], values["customer"], values["started_at"], str(data.get("kit_version") or ""))


def _read_facts(folder: Path) -> tuple[RunFacts, bytes | None]:
    """The run's facts: from ``run.json`` (a previous-run folder) or its evidence manifest (a run folder)."""
    from .bundle_check import BundleError, MemberProblem, parse_json, read_member
    from .evidence import Bundle

    if os.path.lexists(folder / RUN_FACTS):
        try:
            content = read_member(folder, RUN_FACTS, MAX_FACTS_BYTES)
            data = parse_json(content)
        except (MemberProblem, ValueError) as err:
            raise CompareError(f"{folder / RUN_FACTS}: {err}. Fix: restore the run folder as the kit wrote it") from None
        return _facts_from(folder, data, RUN_FACTS), content
    if not (folder / "evidence").is_dir():
        raise _not_a_run(folder)
    try:
        bundle = Bundle.load(folder)
    except (BundleError, OSError) as err:
        raise CompareError(str(err)) from None
    return _facts_from(folder, bundle.manifest, "its evidence manifest"), None


def _check_optional(folder: Path, records: list[dict[str, Any]]) -> None:
    for index, record in enumerate(records, start=1):
        for name, (valid, expected) in _OPTIONAL_FINDING.items():
            if name in record and not valid(record[name]):
                raise CompareError(
                    f"{folder / FINDINGS}: entry {index}: {name!r} is not {expected}. Fix: restore the run folder as the "
                    "kit wrote it"
                )


def read_run(folder: Path | str) -> tuple[RunSide, dict[str, bytes]]:
    """A run (or previous-run) folder as a side, and the bytes of the files it was read from (to keep them).

    Raises :class:`CompareError` (one paragraph) when the folder is not a run or its files cannot be read.
    """
    folder = Path(os.path.abspath(folder))
    if not folder.is_dir():
        raise CompareError(
            f"{folder}: no such folder. Fix: name a run folder written by the kit (relative paths are taken from the "
            "current folder)"
        )
    if not os.path.lexists(folder / FINDINGS) and not os.path.lexists(folder / CONTROLS):
        raise _not_a_run(folder)
    facts, facts_bytes = _read_facts(folder)
    try:
        finding_records, finding_bytes = read_records(folder, FINDINGS, FINDING_CHECKS)
        item_records, item_bytes = read_records(folder, CONTROLS, ITEM_CHECKS)
    except ResultsError as err:
        raise CompareError(str(err)) from None
    _check_optional(folder, finding_records)
    side = RunSide(str(folder), facts)
    for record in finding_records:
        finding = Finding.from_dict(record)
        # The ID as recorded: computed before access keys were masked in the file (a masked resource would give
        # another); an older kit's file has none, so it is computed from the four fields.
        side.add(record.get("finding_id") or finding.finding_id, finding)
    for record in item_records:
        control_id = record["control_id"]
        if control_id in side.items:
            raise CompareError(
                f"{folder / CONTROLS}: item {control_id} appears twice. Fix: restore the run folder as the kit wrote it"
            )
        side.items[control_id] = ItemState(control_id, record["verdict"], record["title_ja"], record["title_en"])
    files = {FINDINGS: finding_bytes, CONTROLS: item_bytes}
    files[RUN_FACTS] = facts_bytes or (json.dumps(facts.to_dict(), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return side, files


def check_pair(previous: RunSide, current: RunSide) -> None:
    """Refuse what cannot be compared: the same run twice, another customer, a previous run that is not earlier."""
    where = previous.where or "the previous run"
    if (previous.where and previous.where == current.where) or previous.facts.run_id == current.facts.run_id:
        raise CompareError(
            f"{where}: the previous and the current run are the same run ({previous.facts.run_id}). Fix: name the "
            "earlier assessment's run folder as the previous one and this year's as the current one"
        )
    if previous.facts.customer != current.facts.customer:
        raise CompareError(
            f"{where}: the previous run assessed {previous.facts.customer!r}, the current one {current.facts.customer!r}; "
            "an assessment is compared with the same customer's previous one only. Fix: name that customer's previous run"
        )
    if _instant(previous.facts.started_at) >= _instant(current.facts.started_at):
        raise CompareError(
            f"{where}: the previous run was collected at {previous.facts.started_at}, not before the current one "
            f"({current.facts.started_at}). Fix: give the earlier run as the previous one (--previous OLD_RUN --run NEW_RUN)"
        )


def _instant(timestamp: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(timestamp)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# --- the comparison -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingChange:
    """One finding in the comparison: its verdict before and after (None: not reported in that run)."""

    finding_id: str
    finding: Finding  # the current one; the previous one for a resolved finding
    controls: tuple[str, ...]
    before: str | None
    after: str | None
    first_seen: str | None = None  # still open: when first seen (ISO date)
    age_days: int | None = None
    accepted_risk: dict[str, Any] | None = None  # expired risks: the approval (now expired, or in force before)

    def message(self, lang: str) -> str:
        return self.finding.message(lang)


@dataclass(frozen=True)
class ItemChange:
    control_id: str
    title_ja: str
    title_en: str
    before: str | None  # None: the item was not in the previous assessment
    after: str | None

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_ja


@dataclass(frozen=True)
class SectionChange:
    number: str  # 2.1 ... 2.6
    before: dict[str, int]
    after: dict[str, int]

    def delta(self, verdict: str) -> int:
        return self.after.get(verdict, 0) - self.before.get(verdict, 0)


@dataclass
class Comparison:
    previous: RunFacts
    current: RunFacts
    new: list[FindingChange]
    resolved: list[FindingChange]
    still_open: list[FindingChange]
    expired: list[FindingChange]
    items: list[ItemChange]
    sections: list[SectionChange]

    @property
    def oldest(self) -> FindingChange | None:
        """The finding open the longest (None when nothing is still open)."""
        aged = [c for c in self.still_open if c.age_days is not None]
        return max(aged, key=lambda c: (c.age_days or 0, c.finding_id), default=None)


def first_seen(previous: RunSide, finding_id: str, today: dt.date) -> str:
    """When an open finding was first seen: the previous run's record (its ``first_seen`` or, without one, its
    collection date) when it was open then too, else today (the current collection date)."""
    if previous.open(finding_id):
        return previous.findings[finding_id].first_seen or previous.facts.collected_on.isoformat()
    return today.isoformat()


def with_first_seen(findings: list[Finding], previous: RunSide, today: dt.date) -> list[Finding]:
    """``findings`` with ``first_seen`` on every open one (failures and errors): what makes ages chain."""
    return [
        replace(f, first_seen=first_seen(previous, f.finding_id, today)) if f.verdict.value in OPEN_VERDICTS else f
        for f in findings
    ]


def _age(since: str, today: dt.date) -> int:
    return (today - dt.date.fromisoformat(since)).days


def _expired(finding_id: str, now: Finding, before: Finding | None) -> dict[str, Any] | None:
    """The approval of a finding failing now whose acceptance expired (now, or since the previous run)."""
    if now.verdict.value != "fail":
        return None
    risk = now.accepted_risk or {}
    if risk.get("status") == EXPIRED:
        return risk
    if not now.accepted and before is not None and before.accepted:
        return before.accepted_risk
    return None


def _order(catalog_ids: dict[str, int]):
    def key(change: FindingChange) -> tuple[Any, ...]:
        return (catalog_ids.get(change.controls[0], len(catalog_ids)), finding_order(change.finding), change.finding_id)

    return key


def compare(previous: RunSide, current: RunSide, catalog: Any | None = None) -> Comparison:
    """What changed from ``previous`` to ``current``: findings new, resolved, still open (with their age), expired
    accepted risks, items whose verdict changed and the items' verdicts per section before and after."""
    if catalog is None:
        from .catalog import load_catalog

        catalog = load_catalog()
    positions = {control_id: n for n, control_id in enumerate(catalog.ids())}
    today = current.facts.collected_on
    new, resolved, still_open, expired = [], [], [], []
    for finding_id, now in current.findings.items():
        before = previous.findings.get(finding_id)
        controls = current.controls[finding_id]
        if now.verdict.value in OPEN_VERDICTS:
            before_verdict = before.verdict.value if before else None
            if previous.open(finding_id):
                since = now.first_seen or first_seen(previous, finding_id, today)
                still_open.append(
                    FindingChange(finding_id, now, controls, before_verdict, now.verdict.value, since, _age(since, today))
                )
            else:
                new.append(FindingChange(finding_id, now, controls, before_verdict, now.verdict.value))
            risk = _expired(finding_id, now, before)
            if risk is not None:
                expired.append(FindingChange(finding_id, now, controls, before_verdict, now.verdict.value, accepted_risk=risk))
    for finding_id, before in previous.findings.items():
        if before.verdict.value not in OPEN_VERDICTS or current.open(finding_id):
            continue
        now_found = current.findings.get(finding_id)
        after = now_found.verdict.value if now_found else None
        resolved.append(FindingChange(finding_id, before, previous.controls[finding_id], before.verdict.value, after))
    key = _order(positions)
    for changes in (new, resolved, still_open, expired):
        changes.sort(key=key)

    items = []
    for control_id, state in current.items.items():
        held = previous.items.get(control_id)
        if held is None or held.verdict != state.verdict:
            items.append(ItemChange(control_id, state.title_ja, state.title_en, held.verdict if held else None, state.verdict))
    items.sort(key=lambda c: (positions.get(c.control_id, len(positions)), c.control_id))

    chapters = list(dict.fromkeys(chapter_of(control_id) for control_id in catalog.ids()))
    before_counts: dict[str, Counter] = {n: Counter() for n in chapters}
    after_counts: dict[str, Counter] = {n: Counter() for n in chapters}
    for state in previous.items.values():
        before_counts.setdefault(chapter_of(state.control_id), Counter())[state.verdict] += 1
    for state in current.items.values():
        after_counts.setdefault(chapter_of(state.control_id), Counter())[state.verdict] += 1
    sections = [
        SectionChange(
            number,
            {v: before_counts.get(number, Counter())[v] for v in VERDICT_ORDER},
            {v: after_counts.get(number, Counter())[v] for v in VERDICT_ORDER},
        )
        for number in dict.fromkeys([*chapters, *before_counts, *after_counts])
    ]
    return Comparison(previous.facts, current.facts, new, resolved, still_open, expired, items, sections)


# --- a run's own bundle ---------------------------------------------------------------------------------------


def keep_previous(folder: Path, store: Any, customer: str) -> dict[str, Any]:
    """Read the previous run named by the params and keep its results in the bundle (``previous/``); the manifest's
    ``previous`` entry. Raises :class:`CompareError` when it is not a run or not the same customer's earlier one."""
    side, files = read_run(folder)
    started = store.started_at or dt.datetime.now(dt.UTC).isoformat()
    check_pair(side, RunSide("", RunFacts(store.run_id, customer, started)))
    kept = [store.add_file(name, files[name], PREVIOUS_FOLDER)["file"] for name in KEPT_FILES]
    return {"previous": {**side.facts.to_dict(), "kept_as": kept}}


def previous_side(bundle: Any) -> RunSide | None:
    """The previous run kept in ``bundle`` (None when the run was made without ``previous:``).

    Raises :class:`~assess_lib.bundle_check.BundleError` when the kept copy cannot be read."""
    from .bundle_check import BundleError

    if not bundle.manifest.get("previous"):
        return None
    try:
        side, _ = read_run(Path(bundle.path) / PREVIOUS_FOLDER)
    except CompareError as err:
        raise BundleError(
            bundle.path,
            f"the previous assessment kept in it cannot be read ({err})",
            "re-render from the bundle as the kit wrote it, or collect again",
        ) from None
    side.where = ""
    return side


__all__ = [
    "OPEN_VERDICTS",
    "PREVIOUS_FOLDER",
    "RUN_FACTS",
    "CompareError",
    "Comparison",
    "FindingChange",
    "ItemChange",
    "RunFacts",
    "RunSide",
    "SectionChange",
    "chapter_of",
    "check_pair",
    "compare",
    "first_seen",
    "keep_previous",
    "previous_side",
    "read_run",
    "side_of",
    "with_first_seen",
]
