"""The one place where AWS failures are classified.

Every botocore exception is mapped to an error kind of :mod:`assess_lib.evidence`
so that a check can say *why* its evidence is missing. Classification looks at
the error code and the HTTP status, because JSON-protocol services (CloudTrail,
GuardDuty) may answer a denial with a bare ``403``.
"""

from __future__ import annotations

import re

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from .. import evidence as ev

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AccessDeniedFault",
    "Forbidden",
    "403",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "ProvisionedThroughputExceededException",
}
_NOT_IMPLEMENTED = {"NotImplemented", "NotImplementedError", "InvalidAction", "UnknownOperationException"}
_REGION_DISABLED = {"UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired", "AuthFailure"}
_NOT_FOUND_SUFFIXES = ("NotFound", "NotFoundException", "NoSuchEntity", "NoSuchBucket", "NoSuchKey")
# The service failed on its side (AWS asks callers to retry later): never "not implemented", never a verdict.
_SERVER_ERRORS = {
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
    "InternalErrorException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceFailure",
    "ServiceException",
    "Unavailable",
}
# moto in server mode (the emulator the kit's demo and tests use) answers an operation it does not implement
# with Werkzeug's generic HTML error page and no AWS error code, so botocore's code is the bare status:
#   500 "<title>500 Internal Server Error</title>... The server encountered an internal error and was unable to
#       complete your request ..." when the service is emulated but the operation is not (moto raises
#       NotImplementedError: e.g. ssm DescribeInstanceInformation, accessanalyzer ListAnalyzers);
#   404 "<title>404 Not Found</title>... The requested URL was not found on the server ..." when no emulated
#       service answers the request at all (e.g. inspector2 ListCoverage, securityhub GetEnabledStandards).
# AWS never answers with these pages, so they identify the emulator's missing operations; any other 5xx is a
# server error.
_EMULATOR_PAGES = {
    500: "The server encountered an internal error and was unable to complete your request",
    404: "The requested URL was not found on the server",
}


def classify(err: BaseException) -> ev.CollectionError:
    """Turn any exception raised by a boto3 call into a classified :class:`CollectionError`."""
    if isinstance(err, ev.CollectionError):
        return err
    if isinstance(err, ClientError):
        info = err.response.get("Error", {}) or {}
        code = str(info.get("Code", "") or "")
        message = str(info.get("Message", "") or "")
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        attempts = int(err.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0) + 1
        if code in _THROTTLED or status == 429:
            kind = ev.THROTTLED
        elif code in _DENIED or status == 403:
            kind = ev.ACCESS_DENIED
        elif code in _REGION_DISABLED:
            kind = ev.REGION_DISABLED
        elif (
            code in _NOT_IMPLEMENTED
            or status == 501
            or (status == 500 and "not yet implemented" in message.lower())
            or ((not code or code == str(status)) and _is_emulator_page(status, message))
        ):
            kind = ev.NOT_IMPLEMENTED
        elif code in _SERVER_ERRORS or status >= 500:
            kind = ev.SERVER_ERROR
        elif code.endswith(_NOT_FOUND_SUFFIXES) or status == 404:
            kind = ev.NOT_FOUND
        else:
            kind = ev.OTHER
        return ev.CollectionError(kind, code or str(status), _short(_strip_page(message)), attempts)
    if isinstance(err, ResponseParserError):
        # An answer that is not the protocol's XML/JSON: moto's error page for an operation it lacks
        # (EC2's query protocol cannot parse it into a ClientError), or a 5xx page from something in between.
        text = str(err)
        if _is_emulator_page(500, text) or _is_emulator_page(404, text):
            return ev.CollectionError(ev.NOT_IMPLEMENTED, "ResponseParserError", _short(_strip_page(text)))
        return ev.CollectionError(ev.OTHER, "ResponseParserError", _short(text))
    if isinstance(err, (ConnectTimeoutError, ReadTimeoutError)):
        return ev.CollectionError(ev.TIMEOUT, type(err).__name__, _short(str(err)))
    if isinstance(err, (BotoConnectionError, ConnectionClosedError)):
        # Refused, unresolvable, proxy or TLS failures: the endpoint cannot be reached (never a credentials problem).
        code = "EndpointConnectionError" if isinstance(err, EndpointConnectionError) else type(err).__name__
        return ev.CollectionError(ev.CONNECTION, code, _short(str(err)))
    if isinstance(err, (NoCredentialsError, NoRegionError)):
        return ev.CollectionError(ev.ACCESS_DENIED, type(err).__name__, _short(str(err)))
    return ev.CollectionError(ev.OTHER, type(err).__name__, _short(str(err)))


def _is_emulator_page(status: int, message: str) -> bool:
    """True for the emulator's generic page answering an operation it does not implement (see _EMULATOR_PAGES)."""
    marker = _EMULATOR_PAGES.get(status)
    return marker is not None and marker in " ".join(message.split())


def _strip_page(message: str) -> str:
    """An HTML error page as its words (the report quotes messages as text)."""
    if not message.lstrip().lower().startswith(("<!doctype html", "<html")):
        return message
    return " ".join(re.sub(r"<[^>]*>", " ", message).split())


_URL_IN_MESSAGE = re.compile(r'(?:endpoint URL|url):\s*"?([a-z][a-z0-9+.-]*://[^\s"]+)', re.IGNORECASE)


def endpoint_url_in(error: ev.CollectionError) -> str | None:
    """The URL a connection failure names (botocore puts it in the message), or None."""
    match = _URL_IN_MESSAGE.search(error.message or "")
    return match.group(1) if match else None


def is_unreachable(error: ev.CollectionError) -> bool:
    """True for failures to reach the endpoint at all (refused, unresolvable, timed out)."""
    return error.kind in (ev.CONNECTION, ev.TIMEOUT)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
