"""The params file contract: defaults, and bad input named with its key and fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assess_lib.params import ParamsError, load_params

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path):
    params = load_params(write(tmp_path, "customer: テスト銀行\n"))
    assert params.language == "ja"
    assert params.aws.regions == "all" and params.aws.accounts is None and params.aws.profile is None
    assert params.dns.domains == ("example.co.jp",) and params.dns.dkim_selectors == ("selector1",)
    assert params.attestations is None
    assert params.thresholds["access_key_max_age_days"] == 90


def test_demo_and_example_params_load():
    from assess_lib.demo import DEMO_PARAMS

    assert load_params(DEMO_PARAMS).customer == "デモ銀行"
    assert load_params(ROOT / "params" / "example-customer.yaml").aws.profile == "sample-bank-audit"


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("customer: [unclosed\n", ["line", "malformed YAML"]),
        ("customer: A\ncolour: blue\n", ["'colour'", "unknown key"]),
        ("customer: A\naws:\n  regoins: all\n", ["'aws.regoins'", "unknown key", "regions"]),
        ("language: ja\n", ["'customer'", "Fix:"]),
        ("customer: A\nlanguage: fr\n", ["'language'", "ja or en"]),
        ("customer: A\naws:\n  regions: [tokyo]\n", ["'aws.regions'", "'tokyo'"]),
        ("customer: A\naws:\n  regions: {tokyo: 1}\n", ["'aws.regions'", "expected a list"]),
        (
            "customer: A\naws:\n  regions: [ap-northeast-1, ap-northeast-9]\n",
            [
                "'aws.regions'",
                "'ap-northeast-9' is not an AWS region",
                "botocore",
                "did you mean one of ap-northeast-1, ap-northeast-2, ap-northeast-3?",
            ],
        ),
        ("customer: A\naws:\n  regions: [us-east-7]\n", ["'aws.regions'", "'us-east-7'", "us-east-1"]),
        ("customer: A\naws:\n  accounts: ['12345']\n  role_name: R\n", ["'aws.accounts'", "12-digit"]),
        ("customer: A\naws:\n  accounts: ['123456789012']\n", ["'aws.role_name'", "required"]),
        ("customer: A\naws:\n  endpoint_url: localhost:5000\n", ["'aws.endpoint_url'", "not a URL"]),
        ("customer: A\ndns:\n  domains: ['bad domain']\n", ["'dns.domains'", "'bad domain'"]),
        ("customer: A\nattestations: missing.yaml\n", ["'attestations'", "does not exist"]),
        ("customer: A\nthresholds:\n  access_key_max_age_days: soon\n", ["'thresholds.access_key_max_age_days'", "whole number"]),
        ("customer: A\nthresholds:\n  speed: 1\n", ["'thresholds.speed'", "unknown threshold"]),
        ("- just\n- a list\n", ["mapping"]),
    ],
)
def test_bad_params_name_key_and_fix(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(ParamsError) as raised:
        load_params(path)
    message = str(raised.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_single_region_string_is_accepted(tmp_path):
    assert load_params(write(tmp_path, "customer: A\naws:\n  regions: ap-northeast-1\n")).aws.regions == ("ap-northeast-1",)


def test_missing_file(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "nope.yaml")


def test_cli_bad_params_exit_non_zero_without_traceback(tmp_path):
    path = write(tmp_path, "customer: A\nfoo: 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "run", "--params", str(path), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "'foo'" in result.stderr and "unknown key" in result.stderr
    assert not (tmp_path / "out").exists()


def test_opt_in_and_other_partitions_regions_are_known(tmp_path):
    """Regions come from botocore's own partition data: opt-in regions and other partitions are valid."""
    text = "customer: A\naws:\n  regions: [ap-east-1, me-south-1, af-south-1, us-gov-west-1, cn-north-1]\n"
    assert load_params(write(tmp_path, text)).aws.regions == (
        "ap-east-1",
        "me-south-1",
        "af-south-1",
        "us-gov-west-1",
        "cn-north-1",
    )


def test_unknown_region_is_checked_with_an_emulator_endpoint_too(tmp_path):
    text = "customer: A\naws:\n  endpoint_url: http://127.0.0.1:5000\n  regions: [ap-northeast-9]\n"
    with pytest.raises(ParamsError, match="'ap-northeast-9' is not an AWS region"):
        load_params(write(tmp_path, text))


def test_cli_unknown_region_is_one_paragraph_naming_it(tmp_path):
    """Before the fix the region passed validation and the run ended as a credentials error."""
    write(tmp_path, "customer: A\naws:\n  regions: [ap-northeast-9]\ndns:\n  domains: []\n")
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "run", "--params", "p.yaml", "--out", "out"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # as users type: relative paths from their own folder
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "credentials" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "'aws.regions'" in lines[0] and "'ap-northeast-9'" in lines[0] and "ap-northeast-1" in lines[0]
    assert "p.yaml" in lines[0]
    assert not (tmp_path / "out").exists()
