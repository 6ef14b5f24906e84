"""Secrets stay out of every output: a password in ``aws.endpoint_url`` (and credential-shaped text in
error messages) never reaches the bundle, the reports, the workbooks, the notebooks or the terminal.

Before the fix the password went into manifest.json (the params and the run's endpoint) and, through
botocore's error messages ("Connection was closed before we received a valid response from endpoint
URL: "http://user:pass@..."), into findings.json, both reports, the workbook and the notebooks.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import zipfile
from pathlib import Path
from unittest import mock

import pytest

from assess_lib.redact import mask_secrets, redact_value

from test_faults import ThrottlingProxy, seed

ROOT = Path(__file__).resolve().parents[1]
SECRET = "S3cretPW123"
USER = "kit-user"
PAIR = f"{USER}:{SECRET}"


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def params_text(url: str) -> str:
    return f"customer: テスト銀行\nlanguage: ja\naws:\n  endpoint_url: {url}\n  regions: [ap-northeast-1]\ndns:\n  domains: []\n"


def leaks(text: str) -> list[str]:
    return [needle for needle in (SECRET, PAIR) if needle in text]


def output_texts(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` as text: workbooks unzipped, PDFs read back, everything else as bytes."""
    from pypdf import PdfReader

    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = str(path.relative_to(folder))
        raw = path.read_bytes()
        texts[rel] = raw.decode("utf-8", "replace")
        if zipfile.is_zipfile(path):  # .xlsx: the cells live in compressed XML parts
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    texts[f"{rel}!{name}"] = archive.read(name).decode("utf-8", "replace")
        if path.suffix == ".pdf":
            texts[f"{rel} (text)"] = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return texts


def test_unreachable_endpoint_with_password_is_reported_without_it(tmp_path: Path):
    """`run` against a closed port: the one-paragraph message names the endpoint, not its password."""
    url = f"http://{PAIR}@127.0.0.1:{closed_port()}"
    work = tmp_path / "consultant"
    work.mkdir()
    (work / "p.yaml").write_text(params_text(url), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(work), AWS_ACCESS_KEY_ID="AKIASECRETSTEST00000", AWS_SECRET_ACCESS_KEY="not-a-real-secret-key")
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "run", "--params", "p.yaml", "--out", "out"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Connection problem" in result.stderr and "127.0.0.1" in result.stderr and "Traceback" not in result.stderr
    assert not leaks(result.stdout + result.stderr), result.stderr
    assert sorted(p.name for p in work.iterdir()) == ["p.yaml"]


@pytest.mark.parametrize(
    ("where", "url"),
    [
        ("params", f"http://{USER}:{SECRET} x@127.0.0.1:9"),  # a blank: quoted URLs in messages ended before it
        ("params", f"{USER}:{SECRET}@127.0.0.1:9"),  # the scheme left out
        ("params", f"http://{USER}:{SECRET}@127.0.0.1:port"),
        ("params", f'http://{USER}:"{SECRET}"@127.0.0.1:9'),  # a quote ended the URL botocore quotes
        ("env", f"http://{USER}:{SECRET} x@127.0.0.1:9"),
    ],
)
def test_malformed_endpoint_with_password_is_refused_without_showing_it(tmp_path: Path, where: str, url: str):
    """A malformed endpoint is bad input named by its key (or variable), its password never echoed."""
    from assess_lib.cli import main

    params = tmp_path / "p.yaml"
    params.write_text(params_text(json.dumps(url) if where == "params" else "null"), encoding="utf-8")
    env = {"AWS_ENDPOINT_URL": url} if where == "env" else {}
    with mock.patch.dict(os.environ, env), contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(["run", "--params", str(params), "--out", str(tmp_path / "out"), "--quiet"])
    message = err.getvalue()
    assert code == 2, message
    assert ("aws.endpoint_url" if where == "params" else "AWS_ENDPOINT_URL") in message and "Fix:" in message
    assert not leaks(message), message
    assert "Traceback" not in message and not (tmp_path / "out").exists()


class DroppingProxy(ThrottlingProxy):
    """The fault proxy of test_faults, closing the connection without an answer for chosen requests.

    botocore then fails with ConnectionClosedError, whose message quotes the endpoint URL, password included.
    """

    def __init__(self, target: str, drop) -> None:
        super().__init__(target, lambda n, service: False)
        forward = self.server.RequestHandlerClass.forward

        def maybe_drop(handler: http.server.BaseHTTPRequestHandler) -> None:
            auth = handler.headers.get("Authorization", "")
            service = auth.split("/")[3] if auth.count("/") >= 4 else ""
            if drop(service, handler.path):
                handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            forward(handler)

        self.server.RequestHandlerClass.forward = maybe_drop


def test_password_in_endpoint_url_is_in_no_output_file(aws, tmp_path: Path):
    """Collect, evaluate and publish (notebooks, PDFs, workbook) through an endpoint URL with a password,
    GuardDuty and Secrets Manager dropping their connections and one bucket's ACL too; then search every file."""
    from assess_lib.params import parse_params
    from assess_lib.pipeline import collect, evaluate, present, write_results

    seed(aws)

    def drop(service: str, path: str) -> bool:
        return service in ("guardduty", "secretsmanager") or (service == "s3" and path.endswith("?acl"))

    with DroppingProxy(aws.url, drop) as proxy:
        url = proxy.url.replace("http://", f"http://{PAIR}@")
        params = parse_params(
            {"customer": "テスト銀行", "aws": {"endpoint_url": url, "regions": ["ap-northeast-1"]}, "dns": {"domains": []}}
        )
        assert params.aws.endpoint_url == url  # the params keep the real URL, to connect with
        run = tmp_path / "run"
        bundle = collect(params, run, max_attempts=1)
    failed = {e["dataset"]: e for e in bundle.errors()}
    assert {"guardduty.detectors", "secretsmanager.secrets"} <= set(failed), sorted(failed)
    assert "endpoint URL" in failed["guardduty.detectors"]["error_message"]  # botocore's message, URL and all...
    assert "127.0.0.1" in failed["guardduty.detectors"]["error_message"]
    exposure = bundle.rows("s3.trail_bucket_exposure", bundle.accounts[0])
    assert exposure and exposure[0]["error_kind"] == "connection"  # ...in a dataset's rows as well
    assert bundle.manifest["params"]["aws"]["endpoint_url"] == f"http://***@{url.rsplit('@', 1)[1]}"

    assessment = evaluate(bundle)
    write_results(run, assessment)
    present(run, assessment, "ja")
    texts = output_texts(run)
    for name in ("evidence/manifest.json", "findings.json", "report.html", "report.pdf (text)", "findings.xlsx"):
        assert name in texts or any(key.startswith(name) for key in texts), name
    assert any(key.startswith("notebooks/") and key.endswith(".ipynb") for key in texts)
    found = {name: leaks(text) for name, text in texts.items() if leaks(text)}
    assert not found, f"the password is in {sorted(found)}"
    # What was redacted is still said: the connection failure names the endpoint without its password.
    assert "http://***@127.0.0.1" in texts["findings.json"]


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ('Could not connect to the endpoint URL: "http://u:pw-1@host:5000/"', "http://***@host:5000/", "pw-1"),
        ("http://user:p@ss/w@host/x", "@host/x", "ss/w"),  # unescaped "@" and "/" in a password
        (
            "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F2026&X-Amz-Signature=abc123&"
            "X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE&x=1",
            "X-Amz-Signature=***",
            "abc123",
        ),
        ("{'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=deadbeef'}", "'Authorization': b'***'", "deadbeef"),
        ("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln", "Authorization: ***", "eyJzdWIi"),
        ("call failed: Bearer eyJhbGciOi.eyJzdWIi.c2ln", "Bearer ***", "eyJzdWIi"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ***", "wJalr"),
        ('{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}', '"SecretAccessKey": "***"', "wJalr"),
        ("the secret key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY was refused", "secret key ***", "wJalr"),
        ("token IQoJb3JpZ2luX2VjEJr//////////wEaDmFwLW5vcnRoZWFzdC0x", "***", "IQoJb3JpZ2lu"),
        ("login?user=a&password=hunter2&next=/", "password=***&next=/", "hunter2"),
        ("db password: hunter2", "password: ***", "hunter2"),
        ("AKIAIOSFODNN7EXAMPLE", "AKIA…MPLE", "IOSFODNN7"),
    ],
)
def test_credential_shaped_text_is_masked(text: str, kept: str, gone: str):
    masked = mask_secrets(text)
    assert kept in masked and gone not in masked, masked


@pytest.mark.parametrize(
    "text",
    [
        "v=DMARC1; p=reject; rua=mailto:dmarc@example.com; ruf=mailto:f@example.com",
        "v=spf1 include:_spf.google.com ip4:192.0.2.1 ~all",
        "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:prod/db-password-AbCdEf",
        "token.actions.githubusercontent.com:sub",
        "The security token included in the request is invalid.",
        "iam_unused_credentials: 3 users have unused credentials",
        "Secret prod/db has no automatic rotation. Rotate credentials embedded in applications and APIs.",
        "NextToken=abc&MaxResults=10",
        "bearer securities and basic authentication",
        "https://console.aws.amazon.com/iam/home#/users",
    ],
)
def test_evidence_and_report_prose_is_left_alone(text: str):
    """Redaction applies to every row: what checks read (DMARC reports, ARNs, policy keys) must survive it."""
    assert mask_secrets(text) == text


def test_mappings_are_redacted_by_value_and_by_key():
    data = {"endpoint_url": "http://u:pw@h", "Password": "hunter2", "password_enabled": True, "rows": [("x", "http://a:b@c")]}
    assert redact_value(data) == {
        "endpoint_url": "http://***@h",
        "Password": "***",
        "password_enabled": True,
        "rows": [["x", "http://***@c"]],
    }


def test_progress_and_log_lines_are_redacted():
    """The terminal is an output too: progress lines and log records pass the same redaction."""
    import logging

    from assess_lib.cli import Progress, _redact_log_record

    stream = io.StringIO()
    Progress(stream=stream)(f"collecting from http://{PAIR}@127.0.0.1:9")
    record = logging.LogRecord("botocore", logging.WARNING, __file__, 1, "retrying %s", (f"http://{PAIR}@h/",), None)
    assert _redact_log_record(record)
    shown = stream.getvalue() + logging.Formatter("%(message)s").format(record)
    assert "http://***@127.0.0.1:9" in shown and "http://***@h/" in shown and not leaks(shown), shown
