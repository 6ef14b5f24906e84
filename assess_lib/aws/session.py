"""AWS sessions: credential chain, emulator endpoint, retries, accounts and regions."""

from __future__ import annotations

import os
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from ..evidence import CollectionError
from ..params import AwsParams
from ..redact import mask_secrets
from .errors import classify

DEFAULT_REGION = "ap-northeast-1"
USER_AGENT = "fsa-guideline-assessment-kit"


@dataclass
class ClientFactory:
    """Builds and caches boto3 clients for one account (thread-safe).

    All clients share one retry policy (botocore ``adaptive`` mode: backs off
    and rate-limits itself on throttling) and the emulator endpoint, if any.
    """

    session: boto3.Session
    endpoint_url: str | None = None
    max_attempts: int = 8
    timeout: float = 20.0
    credentials: dict[str, str] | None = None  # an assumed role's; None = the session's own
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    # One lock for every factory: boto3 sessions are not thread-safe, and all accounts share
    # the base session so that service models are loaded once, not once per account.
    _lock: threading.Lock = field(default=threading.Lock(), repr=False)

    def release(self) -> None:
        """Forget this factory's clients (their connection pools and models go with them)."""
        with self._lock:
            clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    def for_account(self, credentials: dict[str, str]) -> "ClientFactory":
        """A factory for another account's credentials, sharing this session's loaded models."""
        return ClientFactory(self.session, self.endpoint_url, self.max_attempts, self.timeout, credentials)

    def config(self) -> Config:
        return Config(
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            user_agent_extra=USER_AGENT,
            max_pool_connections=20,
        )

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": region, "config": self.config(), **(self.credentials or {})}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self.session.client(service, **kwargs)
                if self.endpoint_url and service == "s3control":
                    client.meta.events.register("before-sign.s3-control", _strip_account_host_prefix)
                self._clients[key] = client
            return self._clients[key]


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    """s3control puts the account ID in the host name, which an emulator on an IP address cannot serve."""
    parts = urllib.parse.urlsplit(request.url)
    host = parts.netloc
    first, _, rest = host.partition(".")
    if first.isdigit() and len(first) == 12 and rest:
        request.url = urllib.parse.urlunsplit(parts._replace(netloc=rest))


def endpoint_from(aws: AwsParams, override: str | None = None) -> str | None:
    """The emulator endpoint: explicit override, then params, then ``AWS_ENDPOINT_URL``."""
    return override or aws.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None


def base_session(aws: AwsParams, credentials: dict[str, str] | None = None) -> boto3.Session:
    """A session from the standard credential chain (or the named profile, SSO included).

    ``credentials`` (boto3's ``aws_access_key_id``... keywords) are used instead when given: the
    embedded demo passes its emulator's fake keys so, never through the process environment, which
    every thread shares and the caller owns.
    """
    if credentials:
        return explicit_session(credentials)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    try:
        session = boto3.Session(profile_name=aws.profile) if aws.profile else boto3.Session()
    except Exception as err:  # ProfileNotFound and friends: report, never crash
        raise classify(err) from None
    if not session.region_name and not region:
        session = (
            boto3.Session(profile_name=aws.profile, region_name=DEFAULT_REGION)
            if aws.profile
            else boto3.Session(region_name=DEFAULT_REGION)
        )
    return session


def explicit_session(credentials: dict[str, str]) -> boto3.Session:
    """A session holding exactly ``credentials`` (boto3 keywords), blind to the caller's AWS profile and keys."""
    import botocore.session

    # The profile is taken from no environment variable: an AWS_PROFILE of the caller's would still be
    # looked up (and may not exist) although the keys are given.
    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return boto3.Session(**{"region_name": DEFAULT_REGION, **credentials}, botocore_session=core)


def caller_identity(factory: ClientFactory) -> dict[str, str]:
    """``sts:GetCallerIdentity`` (needs no permission); raises :class:`CollectionError`."""
    try:
        ident = factory.client("sts", factory.session.region_name or DEFAULT_REGION).get_caller_identity()
    except Exception as err:
        raise classify(err) from None
    # UserId can carry an access key ID (for some principals): masked like every key ID the kit writes.
    return {"account_id": ident["Account"], "arn": ident["Arn"], "user_id": mask_secrets(ident["UserId"])}


def assume_role_factory(factory: ClientFactory, account_id: str, role_name: str, run_id: str) -> ClientFactory:
    """Clients in ``account_id`` through ``role_name``; raises :class:`CollectionError`."""
    arn = f"arn:aws:iam::{account_id}:role/{role_name}"
    try:
        creds = factory.client("sts", factory.session.region_name or DEFAULT_REGION).assume_role(
            RoleArn=arn, RoleSessionName=f"fsa-assessment-{run_id}"[:64]
        )["Credentials"]
    except Exception as err:
        raise classify(err) from None
    return factory.for_account(
        {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    )


def organization_accounts(factory: ClientFactory) -> list[str]:
    """Active accounts of the caller's organisation; raises :class:`CollectionError`."""
    try:
        paginator = factory.client("organizations", "us-east-1").get_paginator("list_accounts")
        return sorted(acct["Id"] for page in paginator.paginate() for acct in page["Accounts"] if acct.get("Status") == "ACTIVE")
    except Exception as err:
        raise classify(err) from None


def enabled_regions(factory: ClientFactory) -> list[str]:
    """Regions enabled for the account (opt-in regions only when opted in)."""
    try:
        regions = factory.client("ec2", factory.session.region_name or DEFAULT_REGION).describe_regions(AllRegions=False)
    except Exception as err:
        raise classify(err) from None
    return sorted(r["RegionName"] for r in regions["Regions"] if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in")


__all__ = [
    "ClientFactory",
    "CollectionError",
    "assume_role_factory",
    "base_session",
    "caller_identity",
    "explicit_session",
    "enabled_regions",
    "endpoint_from",
    "organization_accounts",
]
