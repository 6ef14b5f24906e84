"""The params file (contract: DESIGN.md section 4): loading and validation.

Every problem raises :class:`ParamsError` with one paragraph naming the file,
the key (or line) and the fix, so the command line can print it without a
traceback.
"""

from __future__ import annotations

import difflib
import os
import stat
import re
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .redact import mask_url
from .safe_input import InputError, load_yaml_file, shown
from .thresholds import DEFAULT_THRESHOLDS, MAX_TEXT_THRESHOLD

DEMO = "demo"  # endpoint_url / nameserver value that means "the embedded demo environment"

_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_SELECTOR_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$")
_ROLE_RE = re.compile(r"^[\w+=,.@/-]{1,64}$")


# Every customer-input problem (params, attestations, questionnaire) is this one class, raised by
# safe_input while reading and by the validators here; the command line prints it as one paragraph.
ParamsError = InputError
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MAX_THRESHOLD = 36500  # days (100 years) or counts; more is a typo, and overflows date arithmetic


@lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region of every partition in the partition data botocore ships (opt-in regions included)."""
    from botocore.exceptions import DataNotFoundError
    from botocore.loaders import create_loader

    loader = create_loader()
    names: set[str] = set()
    for data_name in ("endpoints", "partitions"):  # partitions.json: newer botocore releases
        try:
            data = loader.load_data(data_name)
        except DataNotFoundError:
            continue
        for partition in data.get("partitions", []):
            names.update(region for region in partition.get("regions", {}) if _REGION_RE.match(region))
    return frozenset(names)


def _check_regions(source: str, regions: tuple[str, ...]) -> None:
    """Each region must be one botocore knows: a typo would otherwise surface as a connection failure."""
    import botocore

    known = known_regions()
    for region in regions:
        if region in known:
            continue
        close = sorted(difflib.get_close_matches(region, sorted(known), n=3, cutoff=0.6))
        hint = f"did you mean {close[0]}? " if len(close) == 1 else f"did you mean one of {', '.join(close)}? " if close else ""
        raise _fail(
            source,
            "aws.regions",
            f"'{shown(region)}' is not an AWS region (not in the partition data of botocore {botocore.__version__})",
            f"{hint}Correct or remove '{shown(region)}', or write 'all' for every region enabled in the account. "
            "A region newer than this botocore needs an upgraded botocore (pip install -U boto3)",
        )


@dataclass(frozen=True)
class AwsParams:
    profile: str | None = None
    endpoint_url: str | None = None
    regions: str | tuple[str, ...] = "all"
    accounts: str | tuple[str, ...] | None = None
    role_name: str | None = None
    account_names: dict[str, str] = field(default_factory=dict)  # account ID -> the customer's name for it (e.g. core banking)


@dataclass(frozen=True)
class DnsParams:
    domains: tuple[str, ...] = ("example.co.jp",)
    nameservers: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] = ("selector1",)


@dataclass(frozen=True)
class Params:
    customer: str
    language: str = "ja"
    aws: AwsParams = field(default_factory=AwsParams)
    dns: DnsParams = field(default_factory=DnsParams)
    attestations: Path | None = None
    thresholds: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    source: Path | None = None
    exceptions: Path | None = None  # approved exceptions (risk acceptance): YAML, or the working sheet's sheet
    previous: Path | None = None  # the previous assessment's run directory, to compare with
    worksheet: Path | None = None  # the consultant's filled working sheet: --worksheet of run/demo, never a params-file key

    def to_dict(self) -> dict[str, Any]:
        """Plain form recorded in the manifest: a password in the endpoint URL is masked (the params keep it to connect)."""
        return {
            "customer": self.customer,
            "language": self.language,
            "aws": {
                "profile": self.aws.profile,
                "endpoint_url": mask_url(self.aws.endpoint_url) if self.aws.endpoint_url else None,
                "regions": self.aws.regions if isinstance(self.aws.regions, str) else list(self.aws.regions),
                "accounts": self.aws.accounts
                if self.aws.accounts is None or isinstance(self.aws.accounts, str)
                else list(self.aws.accounts),
                "role_name": self.aws.role_name,
                "account_names": dict(self.aws.account_names),
            },
            "dns": {
                "domains": list(self.dns.domains),
                "nameservers": list(self.dns.nameservers),
                "dkim_selectors": list(self.dns.dkim_selectors),
            },
            "attestations": str(self.attestations) if self.attestations else None,
            "thresholds": dict(self.thresholds),
            "exceptions": str(self.exceptions) if self.exceptions else None,
            "previous": str(self.previous) if self.previous else None,
        }


def _fail(source: str, key: str, problem: str, fix: str) -> ParamsError:
    return ParamsError(f"{source}: key '{key}': {problem}. Fix: {fix}")


def _type_name(value: Any) -> str:
    """How a YAML value reads to the person who wrote it."""
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _check_keys(source: str, prefix: str, data: dict[Any, Any], allowed: set[str]) -> None:
    for key in data:
        if not isinstance(key, str):
            # yes/no/on/off and bare numbers are not text in YAML
            raise _fail(
                source,
                f"{prefix}{shown(key, 40)}",
                f"a key must be text, not {_type_name(key)}",
                f"write one of {', '.join(sorted(allowed))} (quote a key that YAML reads as true/false or a number)",
            )
        if key not in allowed:
            raise _fail(
                source,
                f"{prefix}{shown(key, 60)}",
                "unknown key",
                f"remove it; allowed keys here are {', '.join(sorted(allowed))}",
            )


def _text(source: str, key: str, value: str, max_chars: int) -> str:
    """A one-line text value of bounded length (control characters would break reports and logs)."""
    if len(value) > max_chars:
        raise _fail(source, key, f"{len(value)} characters long (at most {max_chars})", f"shorten it: '{shown(value, 40)}'")
    if _CONTROL.search(value):
        raise _fail(source, key, f"'{shown(value)}' contains control characters", "write it on one line, without tabs")
    return value


def _str_list(
    source: str, key: str, value: Any, pattern: re.Pattern[str] | None, what: str, max_items: int, example: str
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        raise _fail(
            source, key, f"expected a list of {what}, got {shown(value, 60)}", f"write e.g. {key.split('.')[-1]}: [{example}]"
        )
    if len(value) > max_items:
        raise _fail(source, key, f"{len(value)} entries (at most {max_items})", f"list at most {max_items}, each once")
    items = tuple(_text(source, key, str(v), 300).strip() for v in value)
    seen: set[str] = set()
    for item in items:
        if pattern is not None and not pattern.match(item):
            raise _fail(source, key, f"'{shown(item)}' is not a valid {what}", f"correct or remove '{shown(item)}'")
        if item in seen:
            raise _fail(source, key, f"'{shown(item)}' is listed twice", "keep it once")
        seen.add(item)
    return items


def _opt_str(source: str, key: str, value: Any, max_chars: int = 256) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(
            source, key, f"expected a text value or null, got {shown(value, 40)}", f"write {key}: null or a value in quotes"
        )
    return _text(source, key, value, max_chars).strip()


def _mapping(source: str, key: str, value: Any, fix: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(source, key, f"expected a mapping, got {_type_name(value)} ({shown(value, 40)})", fix)
    return value


def check_endpoint_url(url: str, where: str, fix: str) -> str:
    """``url`` when it is an http(s) URL naming a host; otherwise :class:`ParamsError` (``where``: the file and key).

    Blanks, quotes and control characters (none of which a URL holds unescaped) are refused: a password
    holding one would cut the URL short where messages quote it, and slip past the redaction of URL
    credentials. The message never shows the URL's user information.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        valid = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and not re.search(r"[\s\x00-\x1f\x7f\"'<>`\\]", url)
            and (parts.port is None or parts.port > 0)
        )
    except ValueError:  # a port that is not a number, a malformed IPv6 address
        valid = False
    if not valid:
        raise ParamsError(
            f"{where}: '{mask_url(url)[:200]}' is not a URL (http:// or https:// and a host, without blanks or quotes). Fix: {fix}"
        )
    return url


def parse_params(data: Any, source: str = "<params>", base_dir: Path | None = None) -> Params:
    """Validate a parsed params mapping and return :class:`Params`."""
    if data is None:
        raise ParamsError(f"{source}: the params file is empty. Fix: write at least 'customer: <institution name>'")
    if not isinstance(data, dict):
        raise ParamsError(
            f"{source}: the file must be a YAML mapping of 'key: value' lines, not {_type_name(data)} "
            f"({shown(data, 40)}). Fix: start from params/example-customer.yaml, with at least 'customer: <name>'"
        )
    _check_keys(source, "", data, {"customer", "language", "aws", "dns", "attestations", "thresholds", "exceptions", "previous"})
    customer = data.get("customer")
    if customer is None or (isinstance(customer, str) and not customer.strip()):
        raise _fail(source, "customer", "missing or empty", "add 'customer: <institution name>' (shown on the report)")
    if not isinstance(customer, str):
        raise _fail(
            source, "customer", f"expected text, got {_type_name(customer)} ({shown(customer, 40)})", "write the name in quotes"
        )
    _text(source, "customer", customer, 200)
    language = data.get("language", "ja")
    if not isinstance(language, str) or language not in ("ja", "en"):
        raise _fail(source, "language", f"'{shown(language, 40)}' is not supported", "use ja or en")

    aws_raw = _mapping(source, "aws", data.get("aws"), "indent profile/endpoint_url/regions/accounts/role_name under aws:")
    _check_keys(source, "aws.", aws_raw, {"profile", "endpoint_url", "regions", "accounts", "role_name", "account_names"})
    endpoint = _opt_str(source, "aws.endpoint_url", aws_raw.get("endpoint_url"), 2048)
    if endpoint and endpoint != DEMO:
        check_endpoint_url(endpoint, f"{source}: key 'aws.endpoint_url'", "write e.g. http://127.0.0.1:5000, or null for AWS")
    regions_raw = aws_raw.get("regions", "all")
    if regions_raw == "all":
        regions: str | tuple[str, ...] = "all"
    else:
        regions = _str_list(
            source, "aws.regions", regions_raw, _REGION_RE, "AWS region name such as ap-northeast-1", 100, "ap-northeast-1"
        )
        if not regions:
            raise _fail(source, "aws.regions", "empty list", "write 'all' or list regions such as [ap-northeast-1]")
        _check_regions(source, regions)
    accounts_raw = aws_raw.get("accounts")
    if accounts_raw is None or accounts_raw == "organization":
        accounts: str | tuple[str, ...] | None = accounts_raw
    else:
        accounts = _str_list(
            source, "aws.accounts", accounts_raw, _ACCOUNT_RE, "12-digit AWS account ID in quotes", 1000, "'123456789012'"
        )
    role_name = _opt_str(source, "aws.role_name", aws_raw.get("role_name"))
    if role_name and not _ROLE_RE.match(role_name):
        raise _fail(
            source, "aws.role_name", f"'{shown(role_name)}' is not a valid IAM role name", "use the role's name, not its ARN"
        )
    if accounts is not None and not role_name:
        raise _fail(
            source, "aws.role_name", "required when aws.accounts is set", "name the read-only role to assume in each account"
        )
    names_raw = _mapping(
        source, "aws.account_names", aws_raw.get("account_names"), "write e.g. account_names: {'123456789012': core-banking}"
    )
    account_names: dict[str, str] = {}
    for key, value in names_raw.items():
        account = str(key) if isinstance(key, (str, int)) and not isinstance(key, bool) else ""
        if not _ACCOUNT_RE.match(account):
            raise _fail(
                source,
                f"aws.account_names.{shown(key, 40)}",
                "not a 12-digit AWS account ID",
                "write the account ID in quotes, e.g. '123456789012': core-banking",
            )
        if not isinstance(value, str) or not value.strip():
            raise _fail(
                source, f"aws.account_names.{account}", f"expected a name, got {shown(value, 40)}", "write e.g. core-banking"
            )
        account_names[account] = _text(source, f"aws.account_names.{account}", value, 100).strip()
    aws = AwsParams(
        profile=_opt_str(source, "aws.profile", aws_raw.get("profile")),
        endpoint_url=endpoint,
        regions=regions,
        accounts=accounts,
        role_name=role_name,
        account_names=account_names,
    )

    dns_raw = _mapping(source, "dns", data.get("dns"), "indent domains/nameservers/dkim_selectors under dns:")
    _check_keys(source, "dns.", dns_raw, {"domains", "nameservers", "dkim_selectors"})
    dns = DnsParams(
        domains=_str_list(
            source, "dns.domains", dns_raw.get("domains", ["example.co.jp"]), _DOMAIN_RE, "domain name", 500, "example.co.jp"
        ),
        nameservers=_str_list(
            source,
            "dns.nameservers",
            dns_raw.get("nameservers", []),
            re.compile(r"^(demo|[0-9a-fA-F.:\[\]]{1,64})$"),
            "IP[:port]",
            10,
            "192.0.2.53",
        ),
        dkim_selectors=_str_list(
            source,
            "dns.dkim_selectors",
            dns_raw.get("dkim_selectors", ["selector1"]),
            _SELECTOR_RE,
            "DKIM selector",
            100,
            "selector1",
        ),
    )

    attestation_path = _input_path(source, "attestations", data.get("attestations"), base_dir, "attestations.yaml")
    exceptions_path = _input_path(source, "exceptions", data.get("exceptions"), base_dir, "exceptions.yaml")
    previous_path = _input_path(source, "previous", data.get("previous"), base_dir, "outputs/2025", folder=True)

    thresholds = dict(DEFAULT_THRESHOLDS)
    overrides = _mapping(source, "thresholds", data.get("thresholds"), "write e.g. thresholds: {access_key_max_age_days: 90}")
    for key, value in overrides.items():
        if not isinstance(key, str) or key not in DEFAULT_THRESHOLDS:
            raise _fail(
                source, f"thresholds.{shown(key, 60)}", "unknown threshold", f"use one of {', '.join(sorted(DEFAULT_THRESHOLDS))}"
            )
        default = DEFAULT_THRESHOLDS[key]
        if isinstance(default, bool) and not isinstance(value, bool):
            raise _fail(source, f"thresholds.{key}", f"expected true or false, got {shown(value, 40)}", "write true or false")
        if isinstance(default, str):
            # Words such as tag keys: a text, or a list of words written as a YAML list (kept comma-separated).
            words = value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None
            text = ", ".join(words) if words is not None else value
            if not isinstance(text, str) or len(text) > MAX_TEXT_THRESHOLD or _CONTROL.search(text):
                raise _fail(
                    source,
                    f"thresholds.{key}",
                    f"expected a text or a list of words of at most {MAX_TEXT_THRESHOLD} characters without control characters, got {shown(value, 40)}",
                    f"write e.g. {default!r}",
                )
            thresholds[key] = text
            continue
        # bool is an int in Python, and a float (1e400 is inf) or a huge number would break the checks' date arithmetic
        whole = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_THRESHOLD
        if isinstance(default, int) and not isinstance(default, bool) and not whole:
            raise _fail(
                source,
                f"thresholds.{key}",
                f"expected a whole number from 0 to {_MAX_THRESHOLD}, got {shown(value, 40)}",
                f"write e.g. {default}",
            )
        thresholds[key] = value

    return Params(
        customer=customer.strip(),
        language=language,
        aws=aws,
        dns=dns,
        attestations=attestation_path,
        thresholds=thresholds,
        source=Path(source) if source != "<params>" else None,
        exceptions=exceptions_path,
        previous=previous_path,
    )


def _input_path(source: str, key: str, value: Any, base_dir: Path | None, example: str, folder: bool = False) -> Path | None:
    """A file (or folder) named by the params, relative to the params file; None when not given."""
    if value is None:
        return None
    what = "folder" if folder else "file"
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, key, f"expected a {what} name, got {shown(value, 40)}", f"write {key}: {example} or null")
    path = Path(_text(source, key, value, 1024).strip())
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        raise _fail(
            source,
            key,
            f"{what} {shown(str(path), 300)} does not exist",
            "fix the path (relative to the params file) or write null",
        ) from None
    if is_dir != folder:
        raise _fail(
            source,
            key,
            f"{shown(str(path), 300)} is {'a file' if folder else 'a folder'}, not a {what}",
            f"write the path of the {what}, e.g. {key}: {example}",
        )
    return path


def load_params(path: Path | str) -> Params:
    """Read and validate a params file; raise :class:`ParamsError` on any problem."""
    path = Path(path)
    data = load_yaml_file(path, "params file", "point to the params YAML file, e.g. params/demo.yaml")
    return parse_params(data, str(path), path.parent)
