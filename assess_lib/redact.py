"""Redaction shared by every layer: secrets masked, spreadsheet formulas neutralised.

:func:`mask_secrets` is the one function that makes text safe to record: the evidence store passes
every error message, manifest value and dataset row through it, and every report format passes what
it prints through it again. It masks access key IDs and removes credential-shaped text: the password
of a URL (``http://user:pass@host``), signed-URL and credential query parameters, Authorization and
Bearer headers, secret access keys and session tokens named as such.
"""

from __future__ import annotations

import functools
import re
from typing import Any

_ACCESS_KEY_RE = re.compile(r"\b(AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|APKA)[A-Z0-9]{12}([A-Z0-9]{4})\b")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

MASK = "***"

# A URL's user information, up to its last "@" (a password may hold an unescaped "@" or "/").
_URL_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,30}://)[^\s\"'<>`]*@")
# Authorization / Proxy-Authorization headers, as "Name: value", "Name=value" or a dict's "'Name': b'value'".
_AUTH_HEADER_RE = re.compile(
    r"(?i)((?:proxy-)?authorization\b[\"']?\s*[:=]\s*(?:b?[\"'])?)(?:(?:bearer|basic|digest|aws4-hmac-sha256|aws)\s+)?[^\"'\r\n]+"
)
# A bearer token has a digit or punctuation in it ("bearer securities" is prose).
_BEARER_RE = re.compile(r"(?i)\b(bearer)\s+(?=[A-Za-z]*[0-9\-._~+/])[A-Za-z0-9\-._~+/]{8,}=*")
# key=value or key: value where the key names a credential (query parameters, headers, config lines, JSON).
# "credential" and "signature" count only before "=" (X-Amz-Credential=...): "credentials: " heads prose.
_SECRET_KEYS = (
    r"x-amz-security-token|aws_secret_access_key|aws_session_token|aws_security_token|secret_?access_?key|"
    r"session_?token|security_?token|password|passwd|pwd|passphrase|secret|client_?secret|"
    r"token|access_?token|refresh_?token|id_?token|api_?key|apikey|private_?key"
)
_EQUALS_ONLY_KEYS = r"x-amz-signature|x-amz-credential|signature|awsaccesskeyid|credentials?"
_KEY_VALUE_RE = re.compile(
    rf"(?i)(?<![A-Za-z0-9])((?:(?:{_SECRET_KEYS})[\"']?(?:\s*=\s*|\s*:\s+|:(?=[\"']))|(?:{_EQUALS_ONLY_KEYS})[\"']?\s*=\s*)[\"']?)"
    r"(?!\*\*\*)[^\s\"'&,;<>}\])]+"
)
# A 40-character secret access key or a session token named by a word shortly before it.
_NAMED_SECRET_RE = re.compile(
    r"(?i)((?:secret|session|security)[A-Za-z _-]{0,20}?(?:key|token)\b[^A-Za-z0-9/+=]{1,5})[A-Za-z0-9/+=]{16,}"
)
# AWS session tokens are recognisable by their first characters wherever they stand.
_SESSION_TOKEN_RE = re.compile(r"\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AgoJb3JpZ2lu)[A-Za-z0-9/+=]{20,}")

# Keys of a mapping whose values are secrets whatever they look like.
_SECRET_FIELD_NAMES = frozenset(
    [
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "clientsecret",
        "token",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "sessiontoken",
        "securitytoken",
        "secretaccesskey",
        "awssecretaccesskey",
        "awssessiontoken",
        "authorization",
        "proxyauthorization",
        "apikey",
        "privatekey",
    ]
)
# A string with none of these cannot hold anything the patterns above remove: the fast path for the
# rows of a large estate (two searches without case folding, rather than every pattern above).
_TRIGGER_LOWER_RE = re.compile(r"[@=]|pass|pwd|secret|token|key|auth|bearer|session|security|credential|signature")
_TRIGGER_RE = re.compile(r"A(?:KIA|SIA|IDA|ROA|GPA|NPA|NVA|PKA)|IQoJ|FwoG|FQoG|AgoJ")


def mask_secrets(text: str) -> str:
    """``text`` without secrets: access key IDs shortened to their ends, credentials replaced by ``***``."""
    if not isinstance(text, str) or not (_TRIGGER_LOWER_RE.search(text.lower()) or _TRIGGER_RE.search(text)):
        return text
    text = _URL_USERINFO_RE.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _AUTH_HEADER_RE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _BEARER_RE.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _KEY_VALUE_RE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _NAMED_SECRET_RE.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _SESSION_TOKEN_RE.sub(MASK, text)
    return _ACCESS_KEY_RE.sub(lambda m: f"{m.group(1)}…{m.group(2)}", text)


def mask_url(url: str) -> str:
    """A URL given as a value (an endpoint) with everything between its scheme and its last "@" masked.

    Stricter than :func:`mask_secrets` on free text: whatever the user information holds (blanks, quotes,
    a scheme left out), none of it is shown.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" in rest:
        rest = f"{MASK}@{rest.rsplit('@', 1)[1]}"
    return mask_secrets(f"{scheme}{sep}{rest}")


@functools.lru_cache(maxsize=4096)
def _key(key: str) -> tuple[str, bool]:
    """A mapping key redacted, and whether it names a secret (keys repeat row after row: cached)."""
    return mask_secrets(key), re.sub(r"[^a-z]", "", key.lower()) in _SECRET_FIELD_NAMES


def redact_value(value: Any) -> Any:
    """``value`` with :func:`mask_secrets` applied to every string inside it (dicts, lists, tuples).

    A mapping's value whose key names a secret (``password``, ``SecretAccessKey``...) is masked whole.
    """
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        result = {}
        for k, v in value.items():
            if isinstance(k, str):
                k, secret = _key(k)
                if secret and isinstance(v, str) and v:
                    result[k] = MASK
                    continue
            result[k] = redact_value(v) if isinstance(v, (str, dict, list, tuple)) else v
        return result
    if isinstance(value, (list, tuple)):
        return [redact_value(v) if isinstance(v, (str, dict, list, tuple)) else v for v in value]
    return value


def neutralise_formula(value: Any) -> Any:
    """Prefix a quote to strings a spreadsheet would run as a formula (CSV/XLSX injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
