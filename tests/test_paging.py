"""Pagination is bounded: a service that offers a new page marker on every page, or goes round in a circle,
ends as an error of the dataset naming the bound, never as an endless collection or a partial listing.

The service is a real HTTP server on 127.0.0.1 speaking the AWS JSON protocol (Secrets Manager's
ListSecrets, Organizations' ListAccounts), with boto3 unchanged pointing at it: moto always ends its
listings, so it cannot play the endless service.
"""

from __future__ import annotations

import http.server
import itertools
import json
import threading
import time
import uuid
from pathlib import Path

import pytest

from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import MAX_PAGES, ClientFactory, explicit_session, organization_accounts
from assess_lib.evidence import Bundle, CollectionError, EvidenceStore

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
KEYS = {"aws_access_key_id": "AKIAPAGINGTEST000000", "aws_secret_access_key": "paging-test-not-a-real-key"}
# The server stops offering pages after this many, so that code without a bound ends too (and its test
# fails on an "ok" listing instead of hanging).
GIVE_UP = 3 * MAX_PAGES


class PagingService:
    """Answers every JSON-protocol request with one item and a page marker from ``markers``.

    ``markers`` yields the NextToken of each answer (None: the last page). The answer carries the
    list keys of both ListSecrets and ListAccounts; botocore reads those of the operation asked.
    """

    def __init__(self, markers) -> None:
        self.requests = 0
        self.lock = threading.Lock()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with service.lock:
                    service.requests += 1
                    n = service.requests
                    marker = next(markers, None) if n < GIVE_UP else None
                acl = f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/acl-{n}/{n}"
                body: dict = {
                    "SecretList": [{"Name": f"secret-{n}", "ARN": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:s{n}"}],
                    "Accounts": [{"Id": f"{n:012d}", "Status": "ACTIVE"}],
                    "LoggingConfigurations": [{"ResourceArn": acl, "LogDestinationConfigs": []}],
                    "WebACLs": [{"Name": f"acl-{n}", "Id": str(n), "ARN": acl}],
                }
                if marker is not None:
                    body["NextToken"] = marker
                    body["NextMarker"] = marker  # WAFv2's name for it
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PagingService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def fresh_markers():
    """A new marker on every page, for ever."""
    return (uuid.uuid4().hex for _ in itertools.count())


def factory(url: str) -> ClientFactory:
    return ClientFactory(explicit_session(KEYS), endpoint_url=url, max_attempts=1, timeout=10.0)


def secrets_dataset(url: str, tmp_path: Path, dataset: str = "secretsmanager.secrets"):
    """A dataset (the secrets by default) gathered as a run gathers it, and the saved bundle's entry."""
    store = EvidenceStore(run_id="paging", started_at="2026-01-01T00:00:00+00:00")
    record = AccountContext(ACCOUNT, factory(url), store, [REGION]).dataset(dataset, REGION)
    store.save(tmp_path / "run", "2026-01-01T00:01:00+00:00")
    return record, Bundle.load(tmp_path / "run").entry(dataset, ACCOUNT, REGION)


def test_endless_listing_stops_at_the_bound_and_is_an_error_of_the_dataset(tmp_path: Path):
    """Before the bound, collection asked for ever (here: until the server gave up, and the dataset was "ok")."""
    started = time.monotonic()
    with PagingService(fresh_markers()) as service:
        record, entry = secrets_dataset(service.url, tmp_path)
    seconds = time.monotonic() - started
    assert record.status == "error" and entry["status"] == "error"
    assert entry["error_code"] == "ListingTruncated" and entry["error_kind"] == "other"
    assert f"truncated at {MAX_PAGES} pages" in entry["error_message"]
    assert "secretsmanager:ListSecrets" in entry["error_message"]
    assert service.requests == MAX_PAGES == entry["calls"]  # not one request past the bound
    assert entry.get("file") is None  # no partial rows kept as if they were the listing
    assert seconds < 120, f"{seconds:.0f} s"


def test_marker_seen_before_is_an_error_at_once(tmp_path: Path):
    """A circle A, B, C, A...: botocore notices only a marker repeated twice in a row, so this went on for ever."""
    with PagingService(itertools.cycle(["A", "B", "C"])) as service:
        _record, entry = secrets_dataset(service.url, tmp_path)
    assert entry["status"] == "error" and entry["error_code"] == "PageMarkerRepeated"
    assert "secretsmanager:ListSecrets" in entry["error_message"] and "incomplete" in entry["error_message"]
    assert service.requests == 4  # A, B, C, then A again: stopped there


def test_waf_listings_without_a_paginator_are_bounded_the_same_way(tmp_path: Path):
    """WAFv2 pages with NextMarker and botocore has no paginator for it: the kit's own loop has the same bounds."""
    with PagingService(fresh_markers()) as service:
        _record, entry = secrets_dataset(service.url, tmp_path / "endless", "wafv2.web_acl_logging")
    assert entry["status"] == "error" and entry["error_code"] == "ListingTruncated"
    assert "wafv2:ListLoggingConfigurations" in entry["error_message"] and service.requests == MAX_PAGES
    with PagingService(itertools.cycle(["A", "B", "C"])) as service:
        _record, entry = secrets_dataset(service.url, tmp_path / "circle", "wafv2.web_acls")
    assert entry["status"] == "error" and entry["error_code"] == "PageMarkerRepeated" and service.requests == 4
    assert "wafv2:ListWebACLs" in entry["error_message"]
    with PagingService(iter(["p2", "p3"])) as service:  # three pages of one web ACL each, then GetWebACL for each
        _record, entry = secrets_dataset(service.url, tmp_path / "ends", "wafv2.web_acls")
    assert entry["status"] == "ok" and entry["row_count"] == 3 and service.requests == 6


def test_a_listing_that_ends_is_gathered_whole(tmp_path: Path):
    """The bound does not cut a listing that ends: five pages, five secrets."""
    with PagingService(iter(["p2", "p3", "p4", "p5"])) as service:
        _record, entry = secrets_dataset(service.url, tmp_path)
    assert entry["status"] == "ok" and entry["row_count"] == 5 and service.requests == 5


def test_organisation_listing_in_a_circle_is_an_error():
    """organizations:ListAccounts (accounts: organization) paged without any guard before."""
    with PagingService(itertools.cycle(["A", "B"])) as service, pytest.raises(CollectionError) as raised:
        organization_accounts(factory(service.url))
    assert raised.value.code == "PageMarkerRepeated" and "organizations:ListAccounts" in raised.value.message
    assert service.requests == 3


def test_organisation_listing_is_bounded_too():
    """The same bound as every other listing (a smaller one here: the bound itself is tested above)."""
    with PagingService(fresh_markers()) as service, pytest.raises(CollectionError) as raised:
        organization_accounts(factory(service.url), max_pages=50)
    assert raised.value.code == "ListingTruncated" and "truncated at 50 pages" in raised.value.message
    assert "organizations:ListAccounts" in raised.value.message
    assert service.requests == 50
