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
        elif code in _NOT_IMPLEMENTED or status == 501 or (status == 500 and "not yet implemented" in message.lower()):
            kind = ev.NOT_IMPLEMENTED
        elif code.endswith(_NOT_FOUND_SUFFIXES) or status == 404:
            # moto answers unknown operations with a bare 404 as well.
            kind = ev.NOT_FOUND if code else ev.NOT_IMPLEMENTED
        elif status >= 500:
            kind = ev.NOT_IMPLEMENTED if not code or code in ("500", "InternalFailure") else ev.OTHER
        else:
            kind = ev.OTHER
        return ev.CollectionError(kind, code or str(status), _short(message), attempts)
    if isinstance(err, (ConnectTimeoutError, ReadTimeoutError)):
        return ev.CollectionError(ev.TIMEOUT, type(err).__name__, _short(str(err)))
    if isinstance(err, (BotoConnectionError, ConnectionClosedError)):
        # Refused, unresolvable, proxy or TLS failures: the endpoint cannot be reached (never a credentials problem).
        code = "EndpointConnectionError" if isinstance(err, EndpointConnectionError) else type(err).__name__
        return ev.CollectionError(ev.CONNECTION, code, _short(str(err)))
    if isinstance(err, (NoCredentialsError, NoRegionError)):
        return ev.CollectionError(ev.ACCESS_DENIED, type(err).__name__, _short(str(err)))
    return ev.CollectionError(ev.OTHER, type(err).__name__, _short(str(err)))


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
    return text if len(text) <= limit else text[: limit - 1] + "…"
