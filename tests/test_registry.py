"""Meta-tests over the check registry, the datasets and the catalogue."""

from __future__ import annotations

from assess_lib.aws.collectors import COLLECTORS
from assess_lib.catalog import load_catalog
from assess_lib.checks import registry, required_actions
from assess_lib.datasets import DATASETS, DNS_SCOPE, ORG_SCOPE_DATA, policy_actions


def test_every_check_maps_to_catalogue_items_and_back():
    catalog = load_catalog()
    specs = registry()
    for check_id, spec in specs.items():
        for control_id in spec.controls:
            control = catalog.get(control_id)
            assert check_id in control.checks, f"{control_id} does not list {check_id}"
    for control in catalog:
        for check_id in control.checks:
            assert check_id in specs, f"{control.control_id} lists unknown check {check_id}"
            assert control.control_id in specs[check_id].controls


def test_every_aws_dataset_has_a_collector_and_read_only_actions():
    for name, info in DATASETS.items():
        if info.scope not in (DNS_SCOPE, ORG_SCOPE_DATA):  # DNS and attested evidence need no AWS collector
            assert name in COLLECTORS, name
            for action in info.actions:
                verb = action.split(":", 1)[1]
                assert verb.startswith(("Get", "BatchGet", "List", "Describe", "Generate", "Search")) or verb == "GET", action
    assert set(COLLECTORS) <= set(DATASETS)


def test_iam_policy_is_read_only_and_covers_every_check():
    actions = required_actions()
    assert "sts:GetCallerIdentity" in actions
    for spec in registry().values():
        assert set(spec.permissions) <= set(actions)
    assert not [a for a in actions if a.split(":")[1].startswith(("Put", "Create", "Delete", "Update", "Attach"))]


def test_readme_lists_exactly_the_generated_policy():
    """The README shows the policy a customer's security team reviews; it must not drift from the code."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("take it from the command. Today it is:", 1)[1].split("```")[1]
    listed = set(re.findall(r"[a-z0-9-]+:[A-Za-z0-9]+", block))
    # the policy the kit generates: every check's actions and the evidence no check reads alone (the network diagram's)
    assert listed == set(policy_actions()) and set(required_actions()) <= listed
