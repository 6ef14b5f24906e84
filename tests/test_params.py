"""The params file contract: defaults, and bad input named with its key and fix."""

from __future__ import annotations

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
    assert load_params(ROOT / "params" / "demo.yaml").customer == "デモ銀行"
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
