"""The one place where AWS failures are classified.

Every botocore exception is mapped to an error kind of :mod:`assess_lib.evidence`
so that a check can say *why* its evidence is missing. Classification looks at
the error code and the HTTP status, because JSON-protocol services (CloudTrail,
GuardDuty) may answer a denial with a bare ``403``.
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ReadTimeoutError,
)

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
    if isinstance(err, EndpointConnectionError):
        return ev.CollectionError(ev.CONNECTION, "EndpointConnectionError", _short(str(err)))
    if isinstance(err, (NoCredentialsError, NoRegionError)):
        return ev.CollectionError(ev.ACCESS_DENIED, type(err).__name__, _short(str(err)))
    return ev.CollectionError(ev.OTHER, type(err).__name__, _short(str(err)))


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
