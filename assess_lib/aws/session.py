"""AWS sessions: credential chain, emulator endpoint, retries, accounts and regions."""

from __future__ import annotations

import contextlib
import contextvars
import gzip
import json
import os
import threading
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from collections.abc import Callable, Iterable, Iterator

import boto3
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import DataNotFoundError, NoCredentialsError
from botocore.loaders import JSONFileLoader

from .. import evidence as ev
from ..evidence import CollectionError
from ..params import AwsParams, check_endpoint_url
from ..redact import mask_secrets
from .errors import classify

DEFAULT_REGION = "ap-northeast-1"
USER_AGENT = "fsa-guideline-assessment-kit"
# Bounds of one paginated call: a service that hands out a new page marker on every page would
# otherwise be asked for ever. Far above any real listing the kit makes (1,000 pages of up to
# 1,000 items); reaching either is an error of the dataset, never a silently partial listing.
MAX_PAGES = 1000
MAX_ITEMS = 500_000
TRUNCATED = "ListingTruncated"
MARKER_REPEATED = "PageMarkerRepeated"


# The credentials a request is signed with: those of the account the request is made for, set by AccountClient around
# each call, in the calling thread (a context variable: a thread of the collection's pool starts without one).
_ACTING: contextvars.ContextVar[Any] = contextvars.ContextVar("fsa_acting_credentials", default=None)


class ActingCredentials:
    """botocore credentials that are those of the account the current request is made for.

    botocore asks a client's credentials for their keys when it signs a request, in the thread that makes the request.
    One client per service and region then serves every account of a collection (:class:`SharedClients`): creating a
    client costs more than most of the calls it makes, and against AWS each client opens connections of its own. A
    request made outside an account (no :class:`AccountClient` around it) is refused with botocore's
    ``NoCredentialsError``, never signed with another account's keys.
    """

    method = "fsa-assessment-account"

    @staticmethod
    def _current() -> Any:
        credentials = _ACTING.get()
        if credentials is None:
            raise NoCredentialsError()
        return credentials

    def get_frozen_credentials(self) -> Any:
        return self._current().get_frozen_credentials()

    def get_deferred_property(self, name: str) -> Any:
        return lambda: getattr(self._current(), name, None)

    @property
    def access_key(self) -> str:
        return str(self.get_frozen_credentials().access_key)

    @property
    def secret_key(self) -> str:
        return str(self.get_frozen_credentials().secret_key)

    @property
    def token(self) -> str | None:
        token = self.get_frozen_credentials().token
        return None if token is None else str(token)


class _ActingResolver:
    """The credential provider of the shared clients' session: :class:`ActingCredentials`, whatever the profile says."""

    def load_credentials(self) -> ActingCredentials:
        return ActingCredentials()


class SharedClients:
    """One client per service and region for every account of a collection, signing as :class:`ActingCredentials`.

    Its session has the caller's profile (its ``ca_bundle``, proxy and region settings) but never its keys. Clients
    are made under one lock: boto3 sessions are not thread-safe. The accounts also share each client's connections and
    its adaptive retry's rate limiter: throttling seen by one account slows the others' calls to that service and
    region too, the cautious side.
    """

    def __init__(self, profile: str | None, endpoint_url: str | None, config: Config) -> None:
        session = profile_free_session()
        if profile:
            session.set_config_variable("profile", profile)
        session.register_component("credential_provider", _ActingResolver())
        self.session = boto3.Session(botocore_session=session)
        self.endpoint_url = endpoint_url
        self._config = config
        self._clients: dict[tuple[str, str], Any] = {}
        self._paginators: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = self.session.client(service, **kwargs)
                if self.endpoint_url and service == "s3control":
                    client.meta.events.register("before-sign.s3-control", _strip_account_host_prefix)
                self._clients[key] = client
            return self._clients[key]

    def prepare(self, services: Iterable[str], regions: Iterable[str]) -> None:
        """Make the clients of ``services`` in ``regions`` now, ahead of their first call (a demo run does, while its
        emulator is being seeded and this process has nothing else to do)."""
        for region in regions:
            for service in services:
                self.client(service, region)

    def paginator(self, service: str, region: str, operation: str) -> Any:
        """The shared client's paginator for ``operation``, made once for every account. botocore makes a new paginator
        class at each ``get_paginator``: cyclic garbage, left behind for each account and listing otherwise. A
        paginator keeps no state between two ``paginate`` calls."""
        client = self.client(service, region)
        key = (service, region, operation)
        with self._lock:
            if key not in self._paginators:
                self._paginators[key] = client.get_paginator(operation)
            return self._paginators[key]

    def close(self) -> None:
        """Close every client's connections (the clients and their paginators are forgotten)."""
        with self._lock:
            clients, self._clients, self._paginators = self._clients, {}, {}
        for client in clients.values():
            client.close()


class AccountClient:
    """A shared client as one account uses it: each call, and each page of a paginator, is signed with that account's
    credentials. Everything else (``meta``, ``exceptions``, ``can_paginate``) is the shared client's. ``paginator``
    gives the shared client's paginator for an operation (:meth:`SharedClients.paginator`)."""

    def __init__(self, client: Any, credentials: Callable[[], Any], paginator: Callable[[str], Any]) -> None:
        self._client = client
        self._credentials = credentials
        self._paginator = paginator

    def __getattr__(self, name: str) -> Any:
        if name == "get_paginator":
            return lambda operation: _AccountPaginator(self._paginator(operation), self._credentials)
        attribute = getattr(self._client, name)
        if name in self._client.meta.method_to_api_mapping:
            return lambda **kwargs: _acting(self._credentials, attribute, **kwargs)
        return attribute


def _acting(credentials: Callable[[], Any], call: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` signed with ``credentials()`` (resolved here: a failure to resolve them is the call's)."""
    token = _ACTING.set(credentials())
    try:
        return call(*args, **kwargs)
    finally:
        _ACTING.reset(token)


class _AccountPaginator:
    """A botocore paginator whose page iterators sign as its account."""

    def __init__(self, paginator: Any, credentials: Callable[[], Any]) -> None:
        self._paginator = paginator
        self._credentials = credentials

    def paginate(self, **kwargs: Any) -> _AccountPages:
        return _AccountPages(self._paginator.paginate(**kwargs), self._credentials)


class _AccountPages:
    """A botocore page iterator whose requests (made as it is iterated) are signed as its account."""

    def __init__(self, pages: Any, credentials: Callable[[], Any]) -> None:
        self._pages = pages
        self._credentials = credentials

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pages, name)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        pages = iter(self._pages)
        while True:
            try:
                page = _acting(self._credentials, next, pages)
            except StopIteration:
                return
            yield page


@dataclass
class ClientFactory:
    """Clients for one account (thread-safe): the collection's shared clients, signing as this account.

    ``session`` is the caller's (its credential chain, profile and region); ``credentials`` an assumed role's keys
    (boto3 keywords), or None for the session's own. All clients share one retry policy (botocore ``adaptive``
    mode: backs off and rate-limits itself on throttling) and the emulator endpoint, if any.
    """

    session: boto3.Session
    endpoint_url: str | None = None
    max_attempts: int = 8
    timeout: float = 20.0
    credentials: dict[str, str] | None = None  # an assumed role's; None = the session's own
    shared: SharedClients | None = field(default=None, repr=False)  # None: a new pool (the first account's)
    _account_credentials: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.shared is None:
            # The session's profile where it has one in the config files (boto3 names "default" also when there is none).
            profile = self.session.profile_name if self.session.profile_name in self.session.available_profiles else None
            self.shared = SharedClients(profile, self.endpoint_url, self.config())

    def for_account(self, credentials: dict[str, str]) -> ClientFactory:
        """A factory for another account's credentials, sharing this factory's clients."""
        return ClientFactory(self.session, self.endpoint_url, self.max_attempts, self.timeout, credentials, self.shared)

    def config(self) -> Config:
        return Config(
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            user_agent_extra=USER_AGENT,
            max_pool_connections=20,
        )

    def account_credentials(self) -> Any:
        """This account's botocore credentials (the session's own are resolved once, on the first call made)."""
        with self._lock:
            if self._account_credentials is None:
                if self.credentials:
                    self._account_credentials = Credentials(
                        self.credentials["aws_access_key_id"],
                        self.credentials["aws_secret_access_key"],
                        self.credentials.get("aws_session_token"),
                    )
                else:
                    found = self.session.get_credentials()
                    if found is None:
                        raise NoCredentialsError()
                    self._account_credentials = found
            return self._account_credentials

    def client(self, service: str, region: str) -> AccountClient:
        shared = self.shared
        assert shared is not None
        return AccountClient(
            shared.client(service, region),
            self.account_credentials,
            lambda operation: shared.paginator(service, region, operation),
        )

    def offers(self, service: str, region: str) -> bool:
        """Whether ``service`` exists in ``region`` (an emulator serves every region). Read from the shared clients'
        session, whose botocore data the clients load anyway."""
        if self.endpoint_url:
            return True
        assert self.shared is not None
        session = self.shared.session
        try:
            return region in session.get_available_regions(service, session.get_partition_for_region(region))
        except Exception:  # noqa: BLE001 - unknown to this botocore: ask, and let the call classify any failure
            return True

    def close(self) -> None:
        """Close the clients this factory shares with the other accounts' (at the end of a collection)."""
        assert self.shared is not None
        self.shared.close()


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    """s3control puts the account ID in the host name, which an emulator on an IP address cannot serve."""
    parts = urllib.parse.urlsplit(request.url)
    host = parts.netloc
    first, _, rest = host.partition(".")
    if first.isdigit() and len(first) == 12 and rest:
        request.url = urllib.parse.urlunsplit(parts._replace(netloc=rest))


def endpoint_from(aws: AwsParams, override: str | None = None) -> str | None:
    """The emulator endpoint: explicit override, then params, then ``AWS_ENDPOINT_URL`` (checked like the params')."""
    if override or aws.endpoint_url:
        return override or aws.endpoint_url
    env = os.environ.get("AWS_ENDPOINT_URL", "").strip()
    if not env:
        return None
    return check_endpoint_url(
        env, "environment variable AWS_ENDPOINT_URL", "set it to e.g. http://127.0.0.1:5000, or unset it for AWS"
    )


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
    except Exception as err:  # noqa: BLE001 - ProfileNotFound and friends: report, never crash
        raise classify(err) from None
    if not session.region_name and not region:
        session = (
            boto3.Session(profile_name=aws.profile, region_name=DEFAULT_REGION)
            if aws.profile
            else boto3.Session(region_name=DEFAULT_REGION)
        )
    return session


def profile_free_session() -> Any:
    """A botocore session taking its profile from no environment variable, reading the process's :func:`service_models`.

    An AWS_PROFILE of the caller's would otherwise be looked up (and may not exist) even where keys are
    given or only service models are read.
    """
    session = _bare_session()
    session.register_component("data_loader", service_models())
    return session


def _bare_session() -> Any:
    """A botocore session whose profile no environment variable names (and with its own loader)."""
    import botocore.session

    return botocore.session.Session(session_vars={"profile": (None, None, None, None)})


class PlainJsonFiles(JSONFileLoader):  # type: ignore[misc]
    """botocore's reader of its data files (``<path>.json``, else ``<path>.json.gz``), parsing objects into dicts.

    botocore asks the JSON decoder for an OrderedDict per object, built by a Python call each: parsing a service model
    takes about twice as long as into dicts, which keep their keys' order too (nothing in botocore or moto needs
    more of an OrderedDict; a test compares both parses of the collected services' models)."""

    def load_file(self, file_path: str) -> Any:
        for suffix, opener in ((".json", open), (".json.gz", gzip.open)):
            path = file_path + suffix
            if os.path.isfile(path):
                with opener(path, "rb") as handle:
                    return json.loads(handle.read())
        return None


def plain_json(loader: Any) -> Any:
    """``loader`` (a botocore data loader) reading its files with :class:`PlainJsonFiles`."""
    loader.file_loader = PlainJsonFiles()
    return loader


@lru_cache(maxsize=1)
def service_models() -> Any:
    """The one botocore loader of the process's sessions (the kit's, the demo's seeding and emulator layer).

    Each botocore session otherwise parses every service model and the endpoint data again: about 1 s of CPU for
    the services the kit reads, paid again by each session. The loader only reads botocore's data files (and the
    folders of AWS_DATA_PATH, as a session's own would) and keeps what it parsed, which no client changes; two threads
    loading the same file at once both parse it, and either copy is kept.
    """
    return plain_json(_bare_session().get_component("data_loader"))


def preload_models(services: Iterable[str]) -> None:
    """Parse ahead, into the process's loader (:func:`service_models`), what a client of each service reads: its model
    and endpoint rules when it is made, its paginators at its first listing (each asked for as botocore asks, so
    that botocore finds it kept). The demo does it while its emulator seeds: the collection then makes its clients
    without parsing."""
    loader = service_models()
    for service in services:
        model = loader.load_service_model(service, "service-2", api_version=None)
        loader.load_service_model(service, "endpoint-rule-set-1", api_version=None)
        with contextlib.suppress(DataNotFoundError):  # a service without paginators
            loader.load_service_model(service, "paginators-1", model["metadata"]["apiVersion"])


def explicit_session(credentials: dict[str, str]) -> boto3.Session:
    """A session holding exactly ``credentials`` (boto3 keywords), blind to the caller's AWS profile and keys."""
    return boto3.Session(**{"region_name": DEFAULT_REGION, **credentials}, botocore_session=profile_free_session())


def caller_identity(factory: ClientFactory) -> dict[str, str]:
    """``sts:GetCallerIdentity`` (needs no permission); raises :class:`CollectionError`."""
    try:
        ident = factory.client("sts", factory.session.region_name or DEFAULT_REGION).get_caller_identity()
    except Exception as err:  # noqa: BLE001 - any failure is classified and reported, never raised raw
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
    except Exception as err:  # noqa: BLE001 - any failure is classified and reported, never raised raw
        raise classify(err) from None
    return factory.for_account(
        {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }
    )


def bounded_pages(
    client: Any, operation: str, kwargs: dict[str, Any], max_pages: int = MAX_PAGES, max_items: int = MAX_ITEMS
) -> Iterator[dict[str, Any]]:
    """The pages of ``client``'s paginator for ``operation``, within ``max_pages`` and ``max_items``.

    Raises :class:`CollectionError` (code ``ListingTruncated``) when a page beyond either bound would
    be needed, and (code ``PageMarkerRepeated``) when the service hands back a page marker it gave
    before: a listing that never ends or goes round in a circle is an error, never a partial result.
    """
    iterator = client.get_paginator(operation).paginate(**kwargs)
    api = api_name(client, operation)
    # botocore itself only notices a marker returned twice in a row; one seen anywhere before is caught here.
    next_token = getattr(iterator, "_get_next_token", None)
    seen: set[str] = set()
    pages = items = 0
    for page in iterator:
        pages += 1  # noqa: SIM113 - counted beside the yield
        items += sum(len(found) for key in iterator.result_keys if isinstance(found := key.search(page), list))
        yield page
        token = next_token(page) if next_token else None
        if next_token and (not token or all(value is None for value in token.values())):
            return  # the last page
        marker = json.dumps(token, sort_keys=True, default=str)
        if token and marker in seen:
            raise marker_repeated(api, pages)
        seen.add(marker)
        if pages >= max_pages or items >= max_items:
            bound = f"{max_pages} pages" if pages >= max_pages else f"{max_items} items"
            raise listing_truncated(api, f"{bound} ({pages} pages, {items} items)", pages)


def api_name(client: Any, operation: str) -> str:
    """``service:ApiName`` of a client's method, as errors and the permission list name it."""
    return f"{client.meta.service_model.service_name}:{client.meta.method_to_api_mapping.get(operation, operation)}"


def marker_repeated(api: str, pages: int) -> CollectionError:
    """The error of a listing whose service handed back a page marker it gave before (it would go round for ever)."""
    return CollectionError(
        ev.OTHER,
        MARKER_REPEATED,
        f"{api}: the service returned a page marker again after {pages} pages; the listing is incomplete",
        pages,
    )


def listing_truncated(api: str, bound: str, pages: int) -> CollectionError:
    """The error of a listing that offered more pages than its bound: never kept as a partial listing."""
    return CollectionError(
        ev.OTHER,
        TRUNCATED,
        f"{api}: listing truncated at {bound}, the bound per call; more pages were offered and the listing is incomplete",
        pages,
    )


def organization_accounts(factory: ClientFactory, max_pages: int = MAX_PAGES, max_items: int = MAX_ITEMS) -> list[str]:
    """Active accounts of the caller's organisation; raises :class:`CollectionError` (also when truncated)."""
    try:
        client = factory.client("organizations", "us-east-1")
        pages = bounded_pages(client, "list_accounts", {}, max_pages, max_items)
        return sorted(acct["Id"] for page in pages for acct in page["Accounts"] if acct.get("Status") == "ACTIVE")
    except Exception as err:  # noqa: BLE001 - any failure is classified and reported, never raised raw
        raise classify(err) from None


def enabled_regions(factory: ClientFactory) -> list[str]:
    """Regions enabled for the account (opt-in regions only when opted in)."""
    try:
        regions = factory.client("ec2", factory.session.region_name or DEFAULT_REGION).describe_regions(AllRegions=False)
    except Exception as err:  # noqa: BLE001 - any failure is classified and reported, never raised raw
        raise classify(err) from None
    return sorted(r["RegionName"] for r in regions["Regions"] if r.get("OptInStatus", "opt-in-not-required") != "not-opted-in")


__all__ = [
    "MAX_ITEMS",
    "MAX_PAGES",
    "ClientFactory",
    "CollectionError",
    "PlainJsonFiles",
    "assume_role_factory",
    "base_session",
    "bounded_pages",
    "caller_identity",
    "enabled_regions",
    "endpoint_from",
    "explicit_session",
    "organization_accounts",
]
