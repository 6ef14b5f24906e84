"""Answers for the AWS APIs the emulator does not serve (Inspector2, SSM instance information, Security Hub
standards, Shield, Backup protected resources...), so that the demo and the tests can show evidence for them.

moto answers such a call with HTTP 500 or 404 (the kit then reports missing evidence, rightly). The demo
institution needs evidence for them too, so the embedded emulator is wrapped in :class:`UnservedApis`, a WSGI layer
that answers an operation *registered* for it with a fixed, hand-written response and passes every other request
to moto unchanged. boto3 on the client side is unchanged: it signs, sends and parses as against AWS.

Registration goes over HTTP (``POST /_demo/unserved``), so it works from any process, like the rest of the seed:
:func:`register` and :func:`clear`. The registry belongs to one server (no process-wide state) and is forgotten by
moto's own reset (``POST /moto-api/reset``). An operation never registered answers as moto does.

Supported protocols (as botocore resolves them): ``json`` (X-Amz-Target), ``rest-json`` (method and path matched
against the operation's request URI) and ``ec2``/``query`` (the ``Action`` form field; the response is serialised to XML from the output
shape). A response is the dict boto3 should parse; an error is ``{"status": 404, "code": "...", "message": "..."}``.
"""

from __future__ import annotations

import io
import json
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape


CONTROL_PATH = "/_demo/unserved"
_RESET_PATH = "/moto-api/reset"
WILDCARD = "*"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


def register(
    endpoint_url: str,
    service: str,
    operation: str,
    response: dict[str, Any] | None = None,
    *,
    account: str = WILDCARD,
    region: str = WILDCARD,
    error: dict[str, Any] | None = None,
) -> None:
    """Have the emulator at ``endpoint_url`` answer ``service``'s ``operation`` (botocore names, e.g. ``inspector2``,
    ``ListFindings``) with ``response`` — or with ``error`` (``status``, ``code``, ``message``) — for ``account``
    and ``region`` (``*`` for any). A response must not carry a pagination token (it is returned for every page)."""
    if (response is None) == (error is None):
        raise ValueError("register() takes a response or an error, not both")
    _client_model(service).operation_model(operation)  # fail here, not at the first call, on a name botocore does not know
    body = {"service": service, "operation": operation, "account": account, "region": region}
    body |= {"error": error} if error is not None else {"response": response}
    _post(endpoint_url, CONTROL_PATH, json.dumps(body, default=str).encode("utf-8"))


# The operations moto does not serve that the kit reads in every estate, answered as for an account that has none
# of them: for estates seeded for another purpose (tests, the benchmark), where they are not the subject.
EMPTY_ANSWERS = [
    ("guardduty", "ListPublishingDestinations", {"destinations": []}),
    ("guardduty", "ListFindings", {"findingIds": []}),
    ("securityhub", "ListFindingAggregators", {"FindingAggregators": []}),
    ("securitylake", "ListDataLakes", {"dataLakes": []}),
    ("backup", "ListRestoreTestingPlans", {"RestoreTestingPlans": []}),
    ("backup", "ListRestoreJobs", {"RestoreJobs": []}),
]


def answer_as_empty(endpoint_url: str) -> None:
    """Have the emulator answer every operation of :data:`EMPTY_ANSWERS` with nothing (hand-built answers)."""
    for service, operation, response in EMPTY_ANSWERS:
        register(endpoint_url, service, operation, response)


def clear(endpoint_url: str) -> None:
    """Forget every registered answer of the emulator at ``endpoint_url``."""
    _post(endpoint_url, CONTROL_PATH + "/clear", b"")


def _post(endpoint_url: str, path: str, data: bytes) -> None:
    request = urllib.request.Request(
        endpoint_url.rstrip("/") + path, method="POST", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


# --- the service models ------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _client_model(service: str) -> Any:
    """The service's model as the registering process's clients read it (its boto3 clients' parse)."""
    from ..aws.session import profile_free_session

    return profile_free_session().get_service_model(service)


def _model(service: str) -> Any:
    """The service's model as moto parsed it (cached by moto): this layer runs in moto's process, which parses each
    model it serves anyway; a botocore session's parse of its own would be a second one."""
    from moto.core.utils import get_service_model

    return get_service_model(service)


def _operation(service: str, operation: str) -> Any:
    return _model(service).operation_model(operation)


def _signing_name(service: str) -> str:
    model = _model(service)
    return model.signing_name or model.endpoint_prefix


@lru_cache(maxsize=256)
def _uri_pattern(request_uri: str) -> re.Pattern[str]:
    path = request_uri.split("?", 1)[0]
    out = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            out += ".+" if part.endswith("+}") else "[^/]+"
        else:
            out += re.escape(part)
    return re.compile(out + "/?$")


# --- the WSGI layer ----------------------------------------------------------------------------

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


class UnservedApis:
    """WSGI middleware answering registered operations and passing everything else to ``app`` (moto)."""

    def __init__(self, app: Callable[[Environ, StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()
        # (signing name, operation) -> {(account, region): answer}
        self._answers: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        self._services: dict[str, set[str]] = {}  # signing name -> botocore service names registered

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PATH):
            return self._control(environ, start_response, path)
        if path == _RESET_PATH:
            with self._lock:
                self._answers.clear()
                self._services.clear()
            return self.app(environ, start_response)
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match and self._answers:
            access_key, region, signing_name = match.groups()
            body = _read_body(environ)
            found = self._find(environ, body, access_key, region, signing_name)
            if found is not None:
                service, operation, protocol, answer = found
                denied = _denied(environ, body, _account_of(access_key), operation)
                return _respond(start_response, service, operation, protocol, {"error": denied} if denied else answer)
        return self.app(environ, start_response)

    def _control(self, environ: Environ, start_response: StartResponse, path: str) -> Iterable[bytes]:
        if path == CONTROL_PATH + "/clear":
            with self._lock:
                self._answers.clear()
                self._services.clear()
        else:
            entry = json.loads(_read_body(environ) or b"{}")
            service, operation = entry["service"], entry["operation"]
            signing = _signing_name(service)
            answer = {k: entry[k] for k in ("response", "error") if k in entry}
            with self._lock:
                self._services.setdefault(signing, set()).add(service)
                self._answers.setdefault((signing, operation), {})[(entry["account"], entry["region"])] = answer
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    def _find(
        self, environ: Environ, body: bytes, access_key: str, region: str, signing_name: str
    ) -> tuple[str, str, str, dict[str, Any]] | None:
        with self._lock:
            services = sorted(self._services.get(signing_name, ()))
        for service in services:
            found = _operation_of(service, environ, body)
            if found is None:
                continue
            operation, protocol = found
            with self._lock:
                answers = dict(self._answers.get((signing_name, operation), {}))
            if not answers:
                continue
            account = _account_of(access_key)
            for key in ((account, region), (account, WILDCARD), (WILDCARD, region), (WILDCARD, WILDCARD)):
                if key in answers:
                    return service, operation, protocol, answers[key]
        return None


def _denied(environ: Environ, body: bytes, account: str, operation: str) -> dict[str, Any] | None:
    """moto's own IAM enforcement for a registered answer: when on (``/moto-api/reset-auth``), the caller's access
    key must exist and its policies allow ``<signing name>:<operation>``, as for every call moto serves."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import _RESTError as RESTError  # the base of its authentication errors
    from moto.iam.access_control import IAMRequest
    from werkzeug.datastructures import EnvironHeaders

    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return None
    query = {k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()}
    try:
        request = IAMRequest(
            account_id=account,
            method=environ.get("REQUEST_METHOD", "GET"),
            path=environ.get("PATH_INFO", "/"),
            data=query,
            body=body,
            headers=dict(EnvironHeaders(environ)),
            action=operation,
        )
        request.check_action_permitted("*")  # the signature itself is not checked (moto's own check needs its parsed request)
    except RESTError as error:
        return {"status": int(getattr(error, "code", 403)), "code": error.error_type, "message": error.message}
    return None


def _read_body(environ: Environ) -> bytes:
    """Read the request body once and put it back for moto."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _account_of(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))


def _operation_of(service: str, environ: Environ, body: bytes) -> tuple[str, str] | None:
    """The operation a request calls and the protocol it speaks (botocore's resolved one: Shield lists CBOR and
    JSON, and is spoken as JSON)."""
    model = _model(service)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1], "json"
    path = urllib.parse.unquote(environ.get("PATH_INFO", ""))
    protocol = model.resolved_protocol  # what botocore's client speaks (json before CBOR or query)
    if protocol in ("ec2", "query"):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
        form |= urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        action = (form.get("Action") or [None])[0]
        return (action, protocol) if action else None
    method = environ.get("REQUEST_METHOD", "GET")
    for name in model.operation_names:
        http = model.operation_model(name).http
        if http.get("method") == method and _uri_pattern(http.get("requestUri", "/")).match(path):
            return str(name), "rest-json"
    return None


def _respond(start_response: StartResponse, service: str, operation: str, protocol: str, answer: dict[str, Any]) -> list[bytes]:
    error = answer.get("error")
    if protocol in ("query", "ec2"):
        content_type = "text/xml"
        if error:
            status = int(error.get("status", 400))
            code, message = escape(str(error.get("code", "Error"))), escape(str(error.get("message", "")))
            text = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors></Response>"
        else:
            status, text = 200, _xml_response(service, operation, answer.get("response") or {})
        payload = text.encode("utf-8")
    else:
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        if error:
            status = int(error.get("status", 400))
            data = {"__type": error.get("code", "Error"), "message": error.get("message", "")}
            headers_extra = [("x-amzn-ErrorType", str(error.get("code", "Error")))]
        else:
            status, data, headers_extra = 200, answer.get("response") or {}, []
        payload = json.dumps(data, default=str).encode("utf-8")
        start_response(f"{status} {'OK' if status == 200 else 'Error'}", [("Content-Type", content_type), *headers_extra])
        return [payload]
    start_response(f"{status} {'OK' if status == 200 else 'Error'}", [("Content-Type", content_type)])
    return [payload]


def _xml_response(service: str, operation: str, response: dict[str, Any]) -> str:
    """An EC2/query protocol response body for ``response``, element names from the output shape."""
    shape = _operation(service, operation).output_shape
    inner = _xml_members(shape, response) if shape is not None else ""
    if _model(service).resolved_protocol == "query":
        inner = f"<{operation}Result>{inner}</{operation}Result>"
    return f'<?xml version="1.0" encoding="UTF-8"?><{operation}Response>{inner}<requestId>demo</requestId></{operation}Response>'


def _xml_members(shape: Any, value: dict[str, Any]) -> str:
    out = ""
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            tag = member.serialization.get("name", name)
            out += f"<{tag}>{_xml_value(member, value[name])}</{tag}>"
    return out


def _xml_value(shape: Any, value: Any) -> str:
    if shape.type_name == "structure":
        return _xml_members(shape, value)
    if shape.type_name == "list":
        item = shape.member.serialization.get("name", "item")
        return "".join(f"<{item}>{_xml_value(shape.member, v)}</{item}>" for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))
