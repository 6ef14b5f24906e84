"""Checks on the inventory of information assets (guideline 2.2.1) and on keeping production and development
apart (2.3.4.4 (b)).

An inventory that stays current is AWS Config recording every resource type in every region with a working
delivery channel; the resources themselves carry the tags the institution requires (owner, data classification:
the keys are parameters); the organisation's accounts name their owner. Production and development are told apart
by an environment tag on resources and accounts and by the names of organisational units (the values are
parameters). Findings are few on purpose: one per region for the recorder and for tags (the resources lacking a
tag are listed, bounded, with their count), one per account for ownership and for mixed environments.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..evidence import ACCESS_DENIED, GLOBAL, EvidenceUnavailable
from . import check, failed, not_applicable, passed
from .context import CheckContext
from .result import Phrase, Result, shown_list

RECORDERS = "config.recorders"
CHANNELS = "config.delivery_channels"
TAGGED = "tagging.resources"
ORG = "organizations.accounts"
FAILURE = "failure"
ORG_SUBJECT = "AWS Organizations"  # a finding about the organisation as a whole (its ID is in the facts)


def _key(text: Any) -> str:
    return re.sub(r"[\s_.:-]+", "", str(text)).lower()


def tag_value(tags: Mapping[str, Any] | None, key: str) -> str:
    """The value of tag ``key``, "" if absent. Keys are compared without case and separators: Owner, owner,
    DataClassification and data-classification name the same tags, as institutions write them variously."""
    wanted = _key(key)
    return next((str(v).strip() for k, v in (tags or {}).items() if _key(k) == wanted and v is not None), "")


# --- AWS Config: recording every resource type in every region ------------------------------------


def _records_global(recorder: Mapping[str, Any]) -> bool:
    if recorder.get("all_supported"):
        return bool(recorder.get("include_global_resource_types"))
    return any(str(t).startswith("AWS::IAM::") for t in recorder.get("resource_types") or [])


def _region_problems(recorders: list[dict[str, Any]], channels: list[dict[str, Any]]) -> list[Phrase]:
    """What keeps one region's Config from being a complete, delivered inventory (none: it is)."""
    own = [r for r in recorders if not r.get("service_linked")]
    if not own:
        return [Phrase("no_recorder")]
    problems: list[Phrase] = []
    recorder = next((r for r in own if r.get("recording")), own[0])
    if not recorder.get("all_supported"):
        excluded = list(recorder.get("excluded_resource_types") or [])
        if excluded:
            problems.append(Phrase("types_excluded", types=shown_list(excluded, 5)))
        else:
            problems.append(Phrase("types_listed", count=len(recorder.get("resource_types") or [])))
    if not recorder.get("recording"):
        problems.append(Phrase("stopped"))
    elif str(recorder.get("last_status") or "").lower() == FAILURE:
        problems.append(Phrase("recorder_failing", code=recorder.get("last_error_code") or "-"))
    if not channels:
        problems.append(Phrase("no_channel"))
    for channel in channels:
        for kind in ("history", "snapshot"):
            if str(channel.get(f"{kind}_last_status") or "").lower() == FAILURE:
                problems.append(
                    Phrase(
                        "delivery_failing", channel=channel.get("name") or "-", code=channel.get(f"{kind}_last_error_code") or "-"
                    )
                )
                break
    return problems


@check("config_recorder_all_regions")
def config_recorder_all_regions(ctx: CheckContext) -> Iterator[Result]:
    """AWS Config records every supported resource type, is running and delivers, in every region in scope;
    global resource types (IAM) are recorded in exactly one region (``config_global_region`` when set)."""

    def read(region: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        own = [r for r in ctx.rows(RECORDERS, region) if not r.get("service_linked")]
        return region, own, ctx.rows(CHANNELS, region)

    global_regions: list[str] = []
    any_recorder = False
    for region, own, channels in ctx.per_region(read):
        any_recorder = any_recorder or bool(own)
        if any(r.get("recording") and _records_global(r) for r in own):
            global_regions.append(region)
        problems = _region_problems(own, channels)
        resource = f"AWS Config ({region})"
        if problems:
            yield failed(resource, region=region, problems=problems)
        else:
            yield passed(resource, region=region, channel=channels[0].get("name") or "-")
    resource = "AWS Config (IAM)"
    home = str(ctx.params.get("config_global_region") or "")
    if len(global_regions) > 1:
        yield failed(resource, "global_repeated", severity="low", regions=", ".join(global_regions))
    elif not any_recorder or not ctx.complete:
        return  # no recorder anywhere (said per region), or a region unread: one recording it may be there
    elif not global_regions:
        yield failed(resource, "global_missing")
    elif home and global_regions[0] != home:
        yield failed(resource, "global_elsewhere", severity="low", regions=global_regions[0])
    else:
        yield passed(resource, "global_once", regions=global_regions[0])


# --- Tags the institution requires -----------------------------------------------------------------


def parameter_words(value: Any) -> list[str]:
    """A parameter naming several words: comma-separated text (a params file may give a YAML list too)."""
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else [value]
    return [str(item).strip() for item in items if item is not None and str(item).strip()]


def first_sighting(regional: Iterable[tuple[str, list[dict[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    """Tagged resources per region, each counted once: a resource whose ARN names no region (an S3 bucket, a
    global resource) and that several regions list belongs to the first of them. Shared with the report's
    inventory table (report/inventory.py)."""
    seen: set[str] = set()
    out: dict[str, list[dict[str, Any]]] = {}
    for region, rows in regional:
        kept = out.setdefault(region, [])
        for resource in rows:
            arn = str(resource.get("arn"))
            if arn not in seen:
                seen.add(arn)
                kept.append(resource)
    return out


def resources_by_region(ctx: CheckContext) -> dict[str, list[dict[str, Any]]]:
    """The account's tagged resources per region in scope whose evidence was gathered (see first_sighting)."""
    return first_sighting(ctx.regional_rows(TAGGED))


@check("inventory_required_tags")
def inventory_required_tags(ctx: CheckContext) -> Iterator[Result]:
    """The resources carry every tag the institution requires; one finding per region, naming the resources
    that lack one (bounded by ``max_listed``) and counting them by service."""
    keys = parameter_words(ctx.params.get("required_tag_keys"))
    if not keys:
        return
    subject = f"tags: {', '.join(keys)}"
    for region, resources in resources_by_region(ctx).items():
        if not resources:
            continue
        lacking: list[str] = []
        services: Counter[str] = Counter()
        for resource in sorted(resources, key=lambda r: str(r.get("arn"))):
            missing = [k for k in keys if not tag_value(resource.get("tags"), k)]
            if missing:
                lacking.append(f"{resource.get('arn')} ({', '.join(missing)})")
                services[str(resource.get("service") or "-")] += 1
        facts: dict[str, Any] = {"required": ", ".join(keys), "total": len(resources)}
        if not lacking:
            yield passed(subject, region=region, **facts)
            continue
        yield failed(
            subject,
            region=region,
            **facts,
            missing_count=len(lacking),
            listed=shown_list(lacking, ctx.params.get("max_listed", 10)),
            by_service=", ".join(f"{name} {count}" for name, count in sorted(services.items(), key=lambda i: (-i[1], i[0]))),
            untagged=lacking[:100],
        )


# --- Organizations: accounts and their owners --------------------------------------------------------


def _organisation_view(ctx: CheckContext) -> tuple[list[dict[str, Any]], str | None]:
    """(accounts, view): the organisation's accounts when this account may list them ("management" or
    "delegated"); its own membership row ("member"); nothing (None) when it belongs to no organisation."""
    rows = ctx.rows(ORG)
    if not rows:
        return [], None
    return rows, str(rows[0].get("view") or "member")


def _member_without_view(ctx: CheckContext, row: Mapping[str, Any]) -> Iterator[Result]:
    """A member account: its organisation is judged from the management account when that is assessed too;
    otherwise the organisation's accounts are missing evidence (never a verdict)."""
    management = str(row.get("management_account_id") or "")
    if management and management in ctx.bundle.accounts:
        yield not_applicable(ctx.account_id, "covered", management=management)
        return
    raise EvidenceUnavailable(
        ORG,
        ctx.account_id,
        GLOBAL,
        ACCESS_DENIED,
        "NotManagementAccount",
        f"only the management account ({management or '?'}) or a delegated administrator can list the organisation's accounts",
        "organizations:ListAccounts",
    )


@check("organization_account_owner")
def organization_account_owner(ctx: CheckContext) -> Iterator[Result]:
    """Every active account of the organisation names its owner (tag ``owner_tag_key``), and every assessed
    account belongs to the organisation; judged from the management account (or a delegated administrator)."""
    rows, view = _organisation_view(ctx)
    if view is None:
        yield not_applicable(ctx.account_id, "no_organization")
        return
    if view == "member":
        yield from _member_without_view(ctx, rows[0])
        return
    key = str(ctx.params.get("owner_tag_key") or "Owner")
    active = [r for r in rows if str(r.get("status") or "ACTIVE").upper() == "ACTIVE"]
    owned = []
    for row in active:
        owner = tag_value(row.get("tags"), key)
        if owner:
            owned.append(f"{row['account_id']} ({owner})")
        else:
            yield failed(row["account_id"], name=row.get("name") or "-", ou_path=row.get("ou_path") or "-")
    members = {r["account_id"] for r in rows}
    organization = str(rows[0].get("organization_id") or "-")
    for account in sorted(set(ctx.bundle.accounts) - members):
        yield failed(account, "not_member", organization=organization)
    if owned:
        yield passed(
            ORG_SUBJECT,
            "owners_named",
            organization=organization,
            count=len(owned),
            total=len(active),
            listed=shown_list(owned, 10),
        )


# --- Production and development kept apart -----------------------------------------------------------

_NOT_PRODUCTION = re.compile(r"(?i)\b(non|pre)[\s_-]?prod")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|[^\x00-\x7f]+")
PRODUCTION = "production"
DEVELOPMENT = "development"


def _environment(text: Any, params: Mapping[str, Any]) -> str | None:
    """production, development or None for a tag value or an OU name, by the parameters' word lists
    (whole words, without case: "Prod-Workloads" is production, "Products" is not)."""
    if not text:
        return None
    # "non-prod" and "pre-prod" are not production: joined into one word, which the development list names.
    joined = _NOT_PRODUCTION.sub(lambda m: m.group(1) + "prod", str(text))
    words = {w.lower() for w in _WORDS.findall(joined)}
    found = set()
    for environment, param in ((PRODUCTION, "production_values"), (DEVELOPMENT, "development_values")):
        values = {v.lower() for v in parameter_words(params.get(param))}
        if words & values or any(v in str(text) for v in values if not v.isascii()):
            found.add(environment)
    return found.pop() if len(found) == 1 else None


def _resource_environments(ctx: CheckContext, key: str) -> dict[str, list[str]]:
    """The ARNs of this account's resources per environment, from their environment tag, over every region."""
    found: dict[str, list[str]] = {PRODUCTION: [], DEVELOPMENT: []}
    for rows in resources_by_region(ctx).values():
        for resource in rows:
            environment = _environment(tag_value(resource.get("tags"), key), ctx.params)
            if environment:
                found[environment].append(str(resource.get("arn")))
    return found


def _account_environment(row: Mapping[str, Any], key: str, params: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(from the account's tag, from its organisational units' names)."""
    ous = [_environment(name, params) for name in str(row.get("ou_path") or "").split("/")[1:]]
    from_ou = {e for e in ous if e}
    return _environment(tag_value(row.get("tags"), key), params), from_ou.pop() if len(from_ou) == 1 else None


def _sorted(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


@check("environment_separation")
def environment_separation(ctx: CheckContext) -> Iterator[Result]:
    """Production and development do not share an account: no account holds resources tagged with both
    environments, and (from the management account) no account sits in an organisational unit of the other
    environment; production and development accounts told apart by tag or OU name are reported as separate."""
    key = str(ctx.params.get("environment_tag_key") or "Environment")
    limit = ctx.params.get("max_listed", 10)
    found = _resource_environments(ctx, key)
    production, development = sorted(found[PRODUCTION]), sorted(found[DEVELOPMENT])
    if production and development:
        yield failed(
            ctx.account_id,
            "mixed_resources",
            production_count=len(production),
            development_count=len(development),
            production_listed=shown_list(production, min(3, limit)),
            development_listed=shown_list(development, min(3, limit)),
        )
    elif (production or development) and ctx.complete:
        environment = Phrase(PRODUCTION if production else DEVELOPMENT)
        yield passed(ctx.account_id, "single_environment", environment=environment, count=len(production or development))
    rows, view = _organisation_view(ctx)
    if view not in ("management", "delegated"):
        return  # the organisation is judged from the account that can list it (see organization_account_owner)
    accounts: dict[str, list[str]] = {PRODUCTION: [], DEVELOPMENT: []}
    for row in rows:
        if str(row.get("status") or "ACTIVE").upper() != "ACTIVE":
            continue
        tagged, placed = _account_environment(row, key, ctx.params)
        if tagged and placed and tagged != placed:
            yield failed(
                row["account_id"],
                "misplaced",
                environment=Phrase(tagged),
                unit_environment=Phrase(placed),
                ou_path=row.get("ou_path") or "-",
            )
        account_environment = tagged or placed
        if account_environment:
            accounts[account_environment].append(f"{row['account_id']} ({row.get('ou_path') or '-'})")
    if accounts[PRODUCTION] and accounts[DEVELOPMENT]:
        yield passed(
            ORG_SUBJECT,
            "separate_accounts",
            organization=str(rows[0].get("organization_id") or "-"),
            production_accounts=shown_list(_sorted(accounts[PRODUCTION]), limit),
            development_accounts=shown_list(_sorted(accounts[DEVELOPMENT]), limit),
        )
