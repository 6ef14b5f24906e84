"""The check contract (issue 12): records validated at load, the catalogue the only item<->check mapping, the
runner owning scope, missing evidence, nothing to assess, messages and crashes, and the layering of the package.

The runner tests use checks made here from a record and a function (hand-built evidence: what matters is the
runner's behaviour for any check, so the checks are the simplest that exercise it).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import make_bundle

from assess_lib.catalog import load_catalog
from assess_lib.checks import CheckSpec, failed, not_applicable, passed, registry
from assess_lib.checks.records import RecordError, parse_record
from assess_lib.checks.runner import check_findings, evaluate
from assess_lib.core.model import Verdict
from assess_lib.core.text import Phrase
from assess_lib.datasets import DATASETS
from assess_lib.evidence import CollectionError

PACKAGE = Path(__file__).resolve().parents[1] / "assess_lib"
TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"


def record(**overrides):
    data = {
        "title": {"ja": "テスト", "en": "Test"},
        "severity": "medium",
        "scope": "region",
        "datasets": ["ec2.security_groups"],
        "subject": "security groups",
        "parameters": {"max_groups": 2},
        "messages": {
            "pass": {"ja": "{resource} は適合（上限 {max_groups}）", "en": "{resource} passes (limit {max_groups}){state}"},
            "fail": {"ja": "{resource} は不適合{state}", "en": "{resource} fails{state}"},
            "in_use": {"ja": "（使用中）", "en": " (in use)"},
            "none": {"ja": "対象なし", "en": "Nothing to assess"},
        },
        "remediation": {"ja": "上限 {max_groups} 以内にしてください。", "en": "Keep within {max_groups}."},
    }
    data.update(overrides)
    return data


def spec_of(fn, **overrides) -> CheckSpec:
    rec = parse_record("test_check", record(**overrides), "checks/test.yaml", "test", DATASETS)
    return CheckSpec(rec, fn)


def groups_check(ctx):
    rows = ctx.rows("ec2.security_groups")
    for row in rows:
        if row.get("open"):
            yield failed(row["group_id"], state=Phrase("in_use"))
        else:
            yield passed(row["group_id"], state="")


def sg(group_id, open_=False):
    return {"group_id": group_id, "group_name": group_id, "ingress": [], "egress": [], "attached": True, "open": open_}


# --- records -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"colour": "red"}, ["test_check", "colour"]),
        ({"severity": "urgent"}, ["test_check.severity", "urgent"]),
        ({"scope": "galaxy"}, ["test_check.scope", "galaxy"]),
        ({"datasets": ["ec2.no_such_thing"]}, ["test_check.datasets", "ec2.no_such_thing"]),
        ({"messages": {"pass": {"ja": "x", "en": "y"}}}, ["test_check.messages", "none"]),
        ({"messages": {"none": {"ja": "x"}}}, ["test_check.messages.none"]),
        ({"remediation": {"ja": "{unclosed", "en": "x"}}, ["test_check.remediation.ja", "template"]),
        ({"parameters": {"limit": [1, 2]}}, ["test_check.parameters"]),
    ],
)
def test_an_invalid_record_is_refused_naming_the_file_the_check_and_the_key(change, names):
    with pytest.raises(RecordError) as refused:
        parse_record("test_check", record(**change), "checks/test.yaml", "test", DATASETS)
    message = str(refused.value)
    assert message.startswith("checks/test.yaml: ")
    for name in names:
        assert name in message


def test_always_applies_replaces_the_nothing_to_assess_message():
    rec = parse_record(
        "test_check",
        record(messages={"pass": {"ja": "a", "en": "b"}}, always_applies="every account has one"),
        "checks/test.yaml",
        "test",
        DATASETS,
    )
    assert rec.always_applies and "none" not in rec.messages


def test_the_catalogue_alone_maps_items_to_checks_and_every_check_is_mapped():
    catalog = load_catalog()
    specs = registry()
    mapped = {check_id for control in catalog for check_id in control.checks}
    assert mapped == set(specs), f"unmapped: {set(specs) - mapped}; unknown: {mapped - set(specs)}"
    for check_id, spec in specs.items():
        assert spec.controls == tuple(c.control_id for c in catalog if check_id in c.checks)


def test_every_check_has_its_record_and_every_parameter_one_default():
    specs = registry()
    assert {spec.record.module for spec in specs.values()} == {p.stem for p in PACKAGE.joinpath("checks").glob("*.yaml")}, (
        "a record file without checks"
    )
    for spec in specs.values():
        assert spec.title("ja") and spec.title("en") and spec.remediation("ja") and spec.remediation("en")


# --- the runner --------------------------------------------------------------------------------------


def test_messages_quote_parameters_in_force_and_phrases_in_the_readers_language(tmp_path):
    bundle = make_bundle(tmp_path, {("ec2.security_groups", TOKYO): [sg("sg-1"), sg("sg-2", open_=True)]})
    spec = spec_of(groups_check)
    findings = check_findings(spec, bundle, bundle.accounts[0], {"max_groups": 7}, None, {})
    by = {f.resource: f for f in findings}
    assert by["sg-1"].message_ja == "sg-1 は適合（上限 7）" and by["sg-1"].message_en == "sg-1 passes (limit 7)"
    assert by["sg-2"].message_ja == "sg-2 は不適合（使用中）" and by["sg-2"].message_en == "sg-2 fails (in use)"
    assert by["sg-2"].severity == "medium" and by["sg-1"].severity == "info"
    assert by["sg-2"].details == {"state": "in_use"} and by["sg-2"].region == TOKYO
    assert (
        spec.remediation("en", {"max_groups": 7}) == "Keep within 7." and spec.remediation("ja") == "上限 2 以内にしてください。"
    )


def test_a_region_scope_check_runs_per_region_and_one_regions_gap_stays_in_that_region(tmp_path):
    denied = CollectionError("ec2.security_groups", "access_denied", "AccessDenied", "no")
    bundle = make_bundle(
        tmp_path,
        {("ec2.security_groups", TOKYO): [sg("sg-1", open_=True)], ("ec2.security_groups", OSAKA): denied},
        regions=[TOKYO, OSAKA],
    )
    findings = check_findings(spec_of(groups_check), bundle, bundle.accounts[0], {}, None, {})
    seen = {(f.region, f.verdict) for f in findings}
    assert seen == {(TOKYO, Verdict.FAIL), (OSAKA, Verdict.ERROR)}
    error = next(f for f in findings if f.verdict == Verdict.ERROR)
    assert error.details["missing_permission"] == "x:Y" and error.severity == "info"


def test_nothing_to_assess_only_on_complete_evidence(tmp_path):
    empty = make_bundle(tmp_path / "a", {("ec2.security_groups", TOKYO): []})
    findings = check_findings(spec_of(groups_check), empty, empty.accounts[0], {}, None, {})
    assert [(f.verdict, f.resource, f.message_en) for f in findings] == [
        (Verdict.NOT_APPLICABLE, "security groups", "Nothing to assess")
    ]
    denied = CollectionError("ec2.security_groups", "access_denied", "AccessDenied", "no")
    gap = make_bundle(
        tmp_path / "b", {("ec2.security_groups", TOKYO): [], ("ec2.security_groups", OSAKA): denied}, [TOKYO, OSAKA]
    )
    findings = check_findings(spec_of(groups_check), gap, gap.accounts[0], {}, None, {})
    assert [f.verdict for f in findings] == [Verdict.ERROR]


def test_a_crash_keeps_what_was_found_and_names_the_check(tmp_path):
    def breaks(ctx):
        yield failed("sg-1", state="")
        raise TypeError("rules are not a list")

    bundle = make_bundle(tmp_path, {("ec2.security_groups", TOKYO): [sg("sg-1")]})
    findings = check_findings(spec_of(breaks, scope="account"), bundle, bundle.accounts[0], {}, None, {})
    assert [f.verdict for f in findings] == [Verdict.FAIL, Verdict.ERROR]
    assert "test_check" in findings[1].message_en and "TypeError" in findings[1].message_en
    assert "test_check" in findings[1].message_ja


def test_a_missing_message_is_a_crash_of_that_check_not_a_dead_run(tmp_path):
    def wrong_key(ctx):
        yield passed("sg-1", "no_such_message")

    bundle = make_bundle(tmp_path, {("ec2.security_groups", TOKYO): [sg("sg-1")]})
    findings = check_findings(spec_of(wrong_key, scope="account"), bundle, bundle.accounts[0], {}, None, {})
    assert [f.verdict for f in findings] == [Verdict.ERROR]


def test_a_composite_check_reads_results_only_of_the_checks_its_record_names(tmp_path):
    bundle = make_bundle(tmp_path, {("ec2.security_groups", TOKYO): [sg("sg-1", open_=True)]})
    component = check_findings(spec_of(groups_check), bundle, bundle.accounts[0], {}, None, {})

    def composite(ctx):
        worst = {f.verdict for f in ctx.results("test_check")}
        yield (failed if Verdict.FAIL in worst else passed)("layers", state="")

    spec = spec_of(composite, scope="account", reads=["test_check"])
    findings = check_findings(spec, bundle, bundle.accounts[0], {}, None, {"test_check": component})
    assert [f.verdict for f in findings] == [Verdict.FAIL]

    def undeclared(ctx):
        ctx.results("test_check")
        yield passed("layers", state="")

    findings = check_findings(spec_of(undeclared, scope="account"), bundle, bundle.accounts[0], {}, None, {})
    assert findings[0].verdict == Verdict.ERROR and "reads" in findings[0].message_en


def test_evaluate_runs_every_check_once_per_scope(tmp_path):
    bundle = make_bundle(tmp_path, {}, domains=["example.jp"])
    findings = evaluate(bundle, {})
    per_check = {}
    for f in findings:
        per_check.setdefault(f.check_id, set()).add(f.account_id)
    for check_id, spec in registry().items():
        owner = {"domain": "dns", "organisation": "org"}.get(spec.scope, bundle.accounts[0])
        assert per_check.get(check_id) == {owner}, check_id


def test_not_applicable_result_helper_defaults_to_the_none_message():
    assert not_applicable("x").message == "none" and passed("x").message == "pass" and failed("x").message == "fail"


# --- layering ----------------------------------------------------------------------------------------

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u3000-\u303f]")


def test_no_japanese_in_the_kits_python_outside_the_demo():
    """Every word a customer reads lives in the text catalogue or a check's record, never in code."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "demo" in path.relative_to(PACKAGE).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if JAPANESE.search(line):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()[:60]}")
    assert not offenders, "\n".join(offenders[:40]) + f"\n({len(offenders)} lines)"


def _kit_imports(path: Path) -> set[str]:
    """The kit modules ``path`` imports (absolute names), wherever in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(("assess_lib", *path.relative_to(PACKAGE).with_suffix("").parts))
    if path.name == "__init__.py":
        package = package.rsplit(".", 1)[0] + ".__init__"
    base = package.split(".")[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base[: len(base) - node.level + 1]
                module = ".".join(parent + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.startswith("assess_lib"):
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("assess_lib"))
    return names


def _imports_under(folder: str) -> dict[str, set[str]]:
    return {str(p.relative_to(PACKAGE)): _kit_imports(p) for p in sorted((PACKAGE / folder).rglob("*.py"))}


def _violations(imports: dict[str, set[str]], allowed: tuple[str, ...]) -> list[str]:
    out = []
    for path, names in imports.items():
        for name in sorted(names):
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                out.append(f"{path} imports {name}")
    return out


def test_the_core_knows_nothing_above_it():
    assert not _violations(_imports_under("core"), ("assess_lib.core", "assess_lib._yaml"))


def test_checks_see_only_evidence_and_the_core():
    allowed = (
        "assess_lib.checks",
        "assess_lib.core",
        "assess_lib.datasets",
        "assess_lib.evidence",
        "assess_lib._yaml",
        "assess_lib.redact",
        "assess_lib.catalog",
    )
    imports = _imports_under("checks")
    assert not _violations(imports, allowed)
    # The catalogue is read by the machinery (which items a check serves), never by a check itself.
    check_modules = {p: n for p, n in imports.items() if (PACKAGE / p).with_suffix(".yaml").exists()}
    assert check_modules, "no check module found"
    assert not _violations(check_modules, tuple(a for a in allowed if a != "assess_lib.catalog"))


def test_collection_never_imports_checks_or_presentation():
    for folder in ("aws", "dns", "attestations"):
        assert not [v for v in _violations(_imports_under(folder), ("assess_lib",)) if v]
        bad = [
            f"{path} imports {name}"
            for path, names in _imports_under(folder).items()
            for name in names
            if name.startswith(("assess_lib.checks", "assess_lib.report", "assess_lib.pipeline", "assess_lib.notebook"))
        ]
        assert not bad, bad


def test_presentation_reads_results_and_never_evaluates_or_collects():
    bad = [
        f"{path} imports {name}"
        for path, names in _imports_under("report").items()
        for name in names
        if name.startswith(("assess_lib.checks.runner", "assess_lib.aws", "assess_lib.dns"))
        or name in ("assess_lib.pipeline.evaluate", "assess_lib.pipeline.collect")
    ]
    assert not bad, bad


def test_details_keep_facts_and_states_never_catalogue_words():
    from assess_lib.checks.result import details_of

    facts = {
        "count": 3,
        "state": Phrase("in_use"),
        "gap": Phrase("max_age", age=Phrase("no_max_age"), needed=90),
        "gaps": [Phrase("min_length", length=8), Phrase("symbols")],
        "joined": Phrase("several", parts=[Phrase("a"), Phrase("b")]),
        "sentence": Phrase("answers.sentences", parts=[Phrase("x")]),
        "words": Phrase("value.list_separator"),
    }
    assert details_of(facts) == {
        "count": 3,
        "state": "in_use",
        "gap": "max_age",
        "gaps": ["min_length", "symbols"],
        "joined": ["a", "b"],
        "sentence": ["x"],
    }


def test_every_parameter_has_one_default_and_is_described_in_both_languages():
    from assess_lib.core.text import keys, t
    from assess_lib.thresholds import DEFAULT_THRESHOLDS

    described = {k.split(".", 1)[1] for k in keys("parameter")}
    assert described == set(DEFAULT_THRESHOLDS)
    for name in DEFAULT_THRESHOLDS:
        assert t(f"parameter.{name}", "ja") != t(f"parameter.{name}", "en")
