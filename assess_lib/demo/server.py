"""The embedded emulator: moto in server mode on 127.0.0.1, inside the process that starts it.

Run by the demo's emulator process (:mod:`.process`) and by the tests; never by the pipeline
itself, which only sees an endpoint URL.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import io
import logging
import os
import socket
import threading
import urllib.request
from typing import Any
from collections.abc import Callable, Iterator

DEMO_ACCOUNT = "123456789012"  # moto's default account
# The AWS managed policies the demo's accounts attach (see install_aws_managed_policies).
AWS_MANAGED_POLICIES = ("AdministratorAccess", "ReadOnlyAccess", "SecurityAudit")
# Emulator settings (read whenever a backend starts): see MotoServer.start.
MOTO_SETTINGS = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}
DEMO_CREDENTIALS = {
    # Fake, emulator-only credentials: the emulator accepts any key.
    "AWS_ACCESS_KEY_ID": "AKIADEMODEMODEMO0000",
    "AWS_SECRET_ACCESS_KEY": "demo-secret-not-a-real-key",
    "AWS_DEFAULT_REGION": "ap-northeast-1",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@functools.cache
def dispatcher_class() -> type:
    """moto's dispatcher of requests to its services, its answer per host name kept (see the class)."""
    from moto.backends import list_of_moto_modules
    from moto.server import DomainDispatcherApplication

    class Dispatcher(DomainDispatcherApplication):
        """moto's dispatcher, its answer per host name kept: moto lists its own package's folders and tries some
        four hundred patterns on every request (about a millisecond of every call, a tenth of a demo's emulator)."""

        modules = frozenset(list_of_moto_modules())

        def __init__(self, create_app: Any) -> None:
            super().__init__(create_app)
            self._backends: dict[str, Any] = {}  # host -> backend name (read and written under self.lock)

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            if host == "moto_api" or host in self.modules:
                return host
            if host not in self._backends:
                url = f"http://{host}"
                self._backends[host] = next((name for name, pattern in self.backend_url_patterns if pattern.match(url)), None)
            return self._backends[host]

    return Dispatcher


def layered_server_class() -> type:
    """ThreadedMotoServer whose application answers the registered unserved APIs first (demo/unserved.py)."""
    from moto.server import MotoRequestHandler, ThreadedMotoServer, create_backend_app
    from werkzeug.serving import make_server

    from .unserved import UnservedApis

    class KeepAliveHandler(MotoRequestHandler):
        """HTTP/1.1 with keep-alive: a client's connection serves its next requests too.

        werkzeug's server answers every request with ``Connection: close``, because it cannot tell whether the
        application read the whole request body, and the rest would be taken for the next request. This handler
        reads the body before the application runs (the application reads it from memory), so the connection is
        at the next request's first byte whatever the application read, and it can stay open. Closed, each call
        opened a connection of its own, and the emulator started a thread for it: 516 for seeding the demo.
        """

        protocol_version = "HTTP/1.1"
        # The headers and the body are written apart: on a connection kept open, Nagle's algorithm would hold the
        # body until the client acknowledged the headers, which it delays (tens of milliseconds a call).
        disable_nagle_algorithm = True

        def make_environ(self) -> dict[str, Any]:
            environ = super().make_environ()
            stream = environ["wsgi.input"]
            # In chunks, werkzeug's reader stops at the last chunk; else the body is its given length.
            chunked = environ.get("wsgi.input_terminated")
            body = stream.read() if chunked else stream.read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            # After the response, werkzeug reads whatever else the client sent, to discard it: with the connection
            # kept open, that would be the client's next request. It reads this empty stream instead.
            self.rfile = io.BytesIO()
            return environ

        def run_wsgi(self) -> None:
            connection_stream = self.rfile
            try:
                super().run_wsgi()
            finally:
                self.rfile = connection_stream

        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() == "connection" and value.lower() == "close" and not self.close_connection:
                return  # werkzeug's unconditional close (see the class); a client's own close is kept
            super().send_header(keyword, value)

        def setup(self) -> None:
            super().setup()
            self.server.connections.add(self.connection)

        def finish(self) -> None:
            self.server.connections.discard(self.connection)
            super().finish()

    class LayeredMotoServer(ThreadedMotoServer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.app = EmulatorHooks(UnservedApis(dispatcher_class()(create_backend_app)))

        def _server_entry(self) -> None:
            server = make_server(self._ip_address, self._port, self.app, True, request_handler=KeepAliveHandler)
            server.connections = set()  # the open connections, each served by a thread of its own
            server.block_on_close = False  # stop() closes them; none is waited for (an idle one never ends)
            self._server = server
            self._server_ready_event.set()
            self._server.serve_forever()

        def stop(self) -> None:
            """Stop serving, and close the connections kept open: none is answered by a stopped emulator."""
            server = self._server
            super().stop()
            for connection in list(getattr(server, "connections", ())):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    return LayeredMotoServer


class MotoModels:
    """A botocore data loader giving moto's own parse of each service's model (``moto.core.utils.get_service_model``,
    which moto keeps), and ``loader``'s answer for everything else."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        if type_name == "service-2" and api_version is None:
            from moto.core.utils import get_service_model

            return get_service_model(service_name)._service_description
        return self._loader.load_service_model(service_name, type_name, api_version)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class LazyPrivateKey:
    """A KMS key's private key as moto makes it (``make(key_spec)``), made when it is first used."""

    def __init__(self, make: Callable[[str], Any], key_spec: str) -> None:
        self._make = make
        self._key_spec = key_spec
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # its own attributes, and what copy looks up on an object not yet filled in
            raise AttributeError(name)
        with self._lock:
            if self._key is None:
                self._key = self._make(self._key_spec)
        return getattr(self._key, name)


def tune_moto() -> None:
    """Spare moto work it repeats without need: together about a quarter of the demo emulator's time to be seeded
    (README). For the emulator's own programs only (the demo's emulator process, the benchmark's): it edits moto's
    and werkzeug's state for the whole process. moto answers exactly as before (tests/test_emulator.py).

    - moto lists a service's regions with a botocore session of its own, which parses the service's whole model
      again (moto parsed it already, for its requests) only to read its endpoint prefix: the session reads moto's.
    - moto makes a new botocore loader for each model it reads, which lists the files of every AWS service first
      (some 400 folders, a few thousand file checks): one loader reads them all.
    - moto's modules make fresh botocore sessions for region lists (EC2's, the largest model, when it is imported),
      each with a loader of its own: the process's botocore sessions share one loader per data path.
    - Every loader of the process parses botocore's files into dicts, not OrderedDicts (:class:`PlainJsonFiles`).
    - moto lists the methods of a service's response class, by inspection, on every request: listed once per class.
    - moto makes an RSA key pair for every KMS key, symmetric ones too, for signing: made when first used
      (:class:`LazyPrivateKey`). About 70 ms each; the demo signs nothing.
    - werkzeug compiles two URL builders (Python code, through its syntax tree) for each route of each moto service's
      application and router; moto only matches URLs, never builds one: compiled when first used.
    """
    import botocore.session
    import moto.core.loaders
    import moto.core.responses
    import moto.core.utils
    import moto.kms.models
    from moto.core.base_backend import AccountSpecificBackend
    from werkzeug.routing.rules import Rule

    from ..aws.session import plain_json

    session = AccountSpecificBackend.get_session()._session
    session.register_component("data_loader", MotoModels(plain_json(session.get_component("data_loader"))))
    moto.core.utils.create_loader = functools.cache(lambda: plain_json(moto.core.loaders.create_loader()))
    create_loader = botocore.session.create_loader
    botocore.session.create_loader = functools.cache(lambda path=None: plain_json(create_loader(path)))
    moto.core.responses.method_names_from_class = functools.cache(moto.core.responses.method_names_from_class)
    make_key = moto.kms.models.generate_private_key
    moto.kms.models.generate_private_key = lambda key_spec: LazyPrivateKey(make_key, key_spec)
    Rule._compile_builder = _builder_when_used(Rule._compile_builder)  # type: ignore[method-assign]


def _builder_when_used(compile_builder: Callable[..., Any]) -> Callable[..., Any]:
    """werkzeug's ``Rule._compile_builder``, deferred: the builder it returns is compiled at its first call."""

    def deferred(rule: Any, append_unknown: bool = True) -> Callable[..., Any]:
        compiled: list[Callable[..., Any]] = []

        def build(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not compiled:
                compiled.append(compile_builder(self, append_unknown))
            return compiled[0](self, *args, **kwargs)

        return build

    return deferred


class InProcessTransport:
    """A botocore ``before-send`` handler that hands each request to the emulator's application in this process
    instead of sending it over a socket: the application answers exactly what it answers over HTTP (the same layers
    and moto's same handlers), without the HTTP round trip, the server's thread and the socket on either side.

    Registered on a session's events, it carries every request of that session's clients; it is what the demo's
    emulator process seeds itself with (:mod:`.process`). The request's URL is the emulator's own.
    """

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, request: Any, **_: Any) -> Any:
        import sys
        import urllib.parse

        from botocore.awsrequest import AWSResponse
        from botocore.compat import HTTPHeaders
        from werkzeug.test import run_wsgi_app

        url = urllib.parse.urlsplit(request.url)
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        body = (body.encode("utf-8") if isinstance(body, str) else body) or b""
        # As werkzeug's server builds it (serving.WSGIRequestHandler.make_environ).
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": urllib.parse.unquote(url.path).encode("utf-8").decode("latin-1"),
            "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "127.0.0.1",
            "SERVER_PORT": str(url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": url.netloc,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = (
                value.decode("latin-1") if isinstance(value, bytes) else value
            )
        if body or request.method in ("PUT", "POST", "PATCH"):
            environ["CONTENT_LENGTH"] = str(len(body))  # as urllib3 sends it, an empty body's too
        answer, status, headers = run_wsgi_app(self._app, environ, buffered=True)
        try:
            content = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        response_headers = HTTPHeaders()
        for name, value in headers.items():
            response_headers[name] = value
        return AWSResponse(request.url, int(status.split(" ", 1)[0]), response_headers, _Body(content))


class _Body(io.BytesIO):
    """A response body as botocore reads one from urllib3 (``stream``)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


class MotoServer:
    """A ThreadedMotoServer bound to 127.0.0.1 on a free port, with a clean state."""

    def __init__(self) -> None:
        self.port = 0
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise

        # Emulator settings, read whenever a backend starts (so kept until stop): the demo launches no
        # instances, so EC2's AMI catalogue is skipped; the AWS managed policies the demo attaches are
        # installed one by one (install_aws_managed_policies), not all 1,582 of them.
        # The demo's emulator process has them from its start (process._emulator_env); set here for an
        # in-process server (the tests').
        wanted = {k: v for k, v in MOTO_SETTINGS.items() if os.environ.get(k) != v}
        self._saved_env = {key: os.environ.get(key) for key in wanted}
        os.environ.update(wanted)
        self.port = free_port()
        self._server = layered_server_class()(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.reset()
        return self

    def transport(self) -> InProcessTransport:
        """The emulator's application as a transport for clients of this process (see the class)."""
        return InProcessTransport(self._server.app)

    def reset(self) -> None:
        """Forget every resource (moto's state is per process)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def set_auth(self, enforce: bool) -> None:
        """Turn moto's IAM enforcement on (only real IAM users' keys work) or off."""
        body = b"0" if enforce else b"inf"
        request = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth", method="POST", data=body, headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def demo_session_credentials() -> dict[str, str]:
    """The fake emulator keys and region as boto3 session keywords."""
    return {
        "aws_access_key_id": DEMO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": DEMO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": DEMO_CREDENTIALS["AWS_DEFAULT_REGION"],
    }


# The transport of the seeding's clients while the emulator's process seeds itself (seeding_through); none elsewhere.
_SEEDING_TRANSPORT: contextvars.ContextVar[InProcessTransport | None] = contextvars.ContextVar("seeding", default=None)


@contextlib.contextmanager
def seeding_through(transport: InProcessTransport) -> Iterator[None]:
    """Within the block, in this thread, the sessions the seeding makes (:func:`seeding_session`) send through
    ``transport``."""
    token = _SEEDING_TRANSPORT.set(transport)
    try:
        yield
    finally:
        _SEEDING_TRANSPORT.reset(token)


def seeding_session(credentials: dict[str, str]) -> Any:
    """A boto3 session holding exactly ``credentials`` for the demo's seeding: its clients send through the
    transport of :func:`seeding_through` when there is one, over HTTP otherwise."""
    from ..aws.session import explicit_session

    session = explicit_session(credentials)
    transport = _SEEDING_TRANSPORT.get()
    if transport is not None:
        session.events.register("before-send", transport)
    return session


@contextlib.contextmanager
def demo_credentials() -> Iterator[None]:
    """Set the fake emulator credentials in the environment for the block, then restore.

    For the tests' boto3 clients only: the kit gives the demo's keys to its clients explicitly
    (``DemoEndpoints.credentials``) and to the emulator process at its start (``process._emulator_env``).
    """
    saved = {key: os.environ.get(key) for key in (*DEMO_CREDENTIALS, "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(DEMO_CREDENTIALS)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --- ageing IAM dates (only possible from the server's own process) -------------------------


def _iam_backend(account_id: str) -> Any:
    from moto.backends import get_backend

    return get_backend("iam")[account_id]["global"]


@functools.lru_cache(maxsize=1)
def _aws_managed_policies() -> dict[str, Any]:
    """moto's records of the AWS managed policies (a 5 MB document, read once), by name; read only."""
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def install_aws_managed_policies(account_id: str, names: tuple[str, ...] = AWS_MANAGED_POLICIES) -> None:
    """Give an emulated account the named AWS managed policies, so that they can be attached.

    moto can load all 1,582 of them (``MOTO_IAM_LOAD_MANAGED_POLICIES``), but then builds them for
    every partition of every account whenever it looks an access key up: about a second per account.
    The policies installed here are moto's own records of the real ones (same ARN, document, dates).
    """
    from moto.iam.models import AWSManagedPolicy

    data = _aws_managed_policies()
    backend = _iam_backend(account_id)
    for name in names:
        if any(policy.name == name for policy in backend.aws_managed_policies):
            continue
        policy = AWSManagedPolicy.from_data(name, account_id, backend.region_name, data[name])
        backend.aws_managed_policies.append(policy)
        backend.managed_policies[policy.arn] = policy


def age_user(
    account_id: str,
    user_name: str,
    created_days_ago: int | None = None,
    password_last_used_days_ago: int | None = None,
    key_ages: dict[int, int] | None = None,
    key_last_used: dict[int, int] | None = None,
) -> None:
    """Move an emulated IAM user's dates into the past (days before now).

    ``key_ages``/``key_last_used`` map key slot (1, 2) to days ago.
    """
    from moto.iam.models import AccessKeyLastUsed

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    user = _iam_backend(account_id).users[user_name]
    if created_days_ago is not None:
        user.create_date = now - dt.timedelta(days=created_days_ago)
    if password_last_used_days_ago is not None:
        user.password_last_used = now - dt.timedelta(days=password_last_used_days_ago)
    keys = list(user.access_keys)
    for slot, days in (key_ages or {}).items():  # slots arrive as text through a hook (JSON keys)
        keys[int(slot) - 1].create_date = now - dt.timedelta(days=days)
    for slot, days in (key_last_used or {}).items():
        keys[int(slot) - 1].last_used = AccessKeyLastUsed(now - dt.timedelta(days=days), "s3", "ap-northeast-1")


def age_role(account_id: str, role_name: str, created_days_ago: int, last_used_days_ago: int | None = None) -> None:
    """Move an emulated IAM role's creation and last-use dates into the past."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    role = next(r for r in _iam_backend(account_id).roles.values() if r.name == role_name)
    role.create_date = now - dt.timedelta(days=created_days_ago)
    if last_used_days_ago is not None:
        role.last_used = now - dt.timedelta(days=last_used_days_ago)
        role.last_used_region = "ap-northeast-1"


def rotate_secret(account_id: str, region: str, name: str, lambda_arn: str, every_days: int, last_rotated_days_ago: int) -> None:
    """Mark an emulated secret as rotating (rotation needs a Lambda the emulator cannot run)."""
    from moto.backends import get_backend

    secrets = get_backend("secretsmanager")[account_id][region].secrets
    secret = next(s for s in secrets.values() if s.name == name)
    secret.rotation_enabled = True
    secret.rotation_requested = True  # moto lists rotation fields only once rotation was asked for
    secret.rotation_lambda_arn = lambda_arn
    secret.auto_rotate_after_days = every_days
    secret.last_rotation_date = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=last_rotated_days_ago)).timestamp())


def set_member_account_id(management_account: str, name: str, account_id: str) -> None:
    """Give an organisation's member account (created with a random ID) a fixed ID."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[management_account]["aws"]
    account = next(a for a in backend.accounts if a.name == name)
    organizations_backends.master_accounts.pop(account.id, None)
    account.id = account_id
    organizations_backends.master_accounts[account_id] = (management_account, "aws")


# --- the hooks: the functions above, asked for over HTTP by a seed running in another process -------------

HOOK_PATH = "/_demo/hook"
HOOKS: dict[str, Any] = {
    f.__name__: f for f in (install_aws_managed_policies, age_user, age_role, rotate_secret, set_member_account_id)
}


class EmulatorHooks:
    """WSGI middleware running one of :data:`HOOKS` in the emulator's process (``POST HOOK_PATH``), else ``app``.

    Only the emulator's own process can edit moto's state; the demo is seeded from the kit's process, which
    asks for these few edits here. Names outside :data:`HOOKS` are refused.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != HOOK_PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        import json

        length = int(environ.get("CONTENT_LENGTH") or 0)
        call = json.loads(environ["wsgi.input"].read(length) or b"{}")
        hook = HOOKS.get(str(call.get("hook")))
        if hook is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no such hook"]
        try:
            hook(*call.get("args", []), **call.get("kwargs", {}))
        except Exception as err:  # noqa: BLE001 - reported to the seed, which raises it
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [f"{type(err).__name__}: {err}".encode()]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


class Emulator:
    """The hooks of the emulator at ``endpoint_url``, called like the functions: ``Emulator(url).age_user(...)``."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def __getattr__(self, name: str) -> Any:
        if name not in HOOKS:
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> None:
            import json
            import urllib.error

            body = json.dumps({"hook": name, "args": args, "kwargs": kwargs}).encode("utf-8")
            request = urllib.request.Request(
                self.endpoint_url.rstrip("/") + HOOK_PATH, method="POST", data=body, headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=60):
                    pass
            except urllib.error.HTTPError as err:
                raise RuntimeError(f"emulator hook {name} failed: {err.read().decode('utf-8', 'replace')}") from None

        return call
