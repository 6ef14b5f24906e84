"""2.6 third-party risk management: the access to the estate that parties outside the organisation hold.

Which principals are external is read by :mod:`._external_access` (one model for the checks, the register table and
the comparison with the customer's own register). Role trust without an external ID is judged by
``iam_external_trust_without_external_id`` (2.3.1), which the catalogue also lists under 2.6.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..evidence import GLOBAL, EvidenceUnavailable
from . import check, failed, passed
from ._external_access import (
    ANY,
    REGIONAL_POLICIES,
    account_of,
    external_grants,
    organisation,
    ram_principal_outside,
    statements,
)
from .context import CheckContext
from .result import Result
from .s2_3_1_identity import SERVICE_ROLE_PATH, own_accounts

# How a resource is named in a finding: the service's name (the same in both languages) and the resource's.
_LABELS = {
    "s3_bucket": "S3",
    "kms_key": "KMS",
    "sns_topic": "SNS",
    "sqs_queue": "SQS",
    "lambda_function": "Lambda",
    "secret": "Secrets Manager",
    "ecr_repository": "ECR",
    "ram_share": "RAM",
}
_NAME_COLUMNS = {
    "s3_bucket": "bucket",
    "kms_key": "key_id",
    "sns_topic": "name",
    "sqs_queue": "name",
    "lambda_function": "function_name",
    "secret": "name",
    "ecr_repository": "repository_name",
}
# A resource shared with a party outside the organisation: how much it exposes (keys and secrets open the data).
SEVERITY_BY_TYPE = {
    "kms_key": "high",
    "secret": "high",
    "s3_bucket": "medium",
    "sqs_queue": "medium",
    "lambda_function": "medium",
    "ecr_repository": "medium",
    "ram_share": "medium",
    "sns_topic": "low",
}


def _own(ctx: CheckContext) -> tuple[set[str], str | None]:
    """The organisation's accounts (the assessed ones and the bundle's organisation list included) and its ID."""
    return organisation(lambda d, r: ctx.rows(d, r), own_accounts(ctx))


def _shown(items: list[str], limit: int = 5) -> str:
    return ", ".join(items[:limit]) + (f" … (+{len(items) - limit})" if len(items) > limit else "")


# --- external access unused (2.6 ⑩ termination) ------------------------------------------------------------


@check("thirdparty_access_unused")
def access_unused(ctx: CheckContext) -> Iterator[Result]:
    """Roles that accounts outside the organisation can assume, judged by their last use: access a third party has
    not used for ``third_party_unused_days`` is access a finished engagement left behind (2.6 ⑩ termination).
    Roles trusting identity providers are listed in the register only (the provider may be the institution's own)."""
    limit = ctx.params["third_party_unused_days"]
    roles = ctx.rows("iam.authorization_details")
    own, org_id = _own(ctx)
    for role in roles:
        if role.get("entity_type") != "role" or str(role.get("path", "")).startswith(SERVICE_ROLE_PATH):
            continue
        parties = sorted(
            {g["party"] for g in external_grants(role.get("trust_policy"), own, org_id) if g["principal_type"] != "federated"}
        )
        if not parties:
            continue
        name = role["name"]
        facts: dict[str, Any] = {"role": name, "parties": parties, "party_list": _shown(parties)}
        used = ctx.days_since(role.get("last_used"))
        age = ctx.days_since(role.get("create_date"))
        if used is not None and used <= limit:
            yield passed(f"role/{name}", "used", last_used_days=max(used, 0), **facts)
        elif used is None and age is not None and age <= limit:
            yield passed(f"role/{name}", "new", age_days=age, **facts)
        elif used is not None:
            yield failed(f"role/{name}", "unused", last_used_days=used, **facts)
        elif age is not None:
            yield failed(f"role/{name}", "never_used", last_used_days=None, age_days=age, **facts)
        else:
            yield failed(f"role/{name}", "no_dates", last_used_days=None, **facts)


# --- resource policies and RAM shares -----------------------------------------------------------------------


def _policy_sources(ctx: CheckContext) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """(resource type, region, rows) of every resource-policy dataset; a dataset that is missing gives an
    ``error`` finding for its region and the others go on (one denial never hides the rest)."""
    try:
        yield "s3_bucket", GLOBAL, ctx.rows("s3.buckets")
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)
    for dataset, (resource_type, _) in REGIONAL_POLICIES.items():
        for region, rows in ctx.regional_rows(dataset):
            yield resource_type, region, rows


def _grants_beyond(policy: Any, account: str) -> bool:
    """Whether a policy allows anyone but the account itself and AWS services, conditions aside (everyone under an
    organisation condition, another account of the organisation): only then is "nothing outside" worth saying."""
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if "NotPrincipal" in statement or principal == ANY:
            return True
        written = principal.get("AWS") if isinstance(principal, dict) else principal
        for value in written if isinstance(written, list) else [written]:
            if value is not None and (value == ANY or account_of(str(value)) not in (account, None)):
                return True
    return False


def _resource_name(resource_type: str, row: dict[str, Any]) -> str:
    name = str(row.get(_NAME_COLUMNS[resource_type]) or row.get("arn") or "")
    if resource_type == "kms_key" and row.get("aliases"):
        name = f"{row['aliases'][0]} ({name})"
    return f"{_LABELS[resource_type]}: {name}"


@check("thirdparty_resource_access")
def resource_access(ctx: CheckContext) -> Iterator[Result]:
    """Resource policies (S3, KMS, SNS, SQS, Lambda, Secrets Manager, ECR) and RAM shares that let in principals
    outside the organisation: one finding per resource and party, severity by what the resource exposes; a
    policy open to everyone without a condition tying it to the organisation fails as high.

    A policy granting only the account itself (a KMS key's default policy) is not listed: it shares nothing. A bucket
    AWS itself reads as public (``policy_is_public``) is judged by the S3 public access check, not
    repeated here. Resources without a policy of their own are not listed (nothing is granted to anyone).
    """
    own, org_id = _own(ctx)
    for resource_type, region, rows in _policy_sources(ctx):
        for row in rows:
            policy = row.get("policy")
            if not policy:
                continue
            where = row.get("region") or region
            resource = _resource_name(resource_type, row)
            grants = external_grants(policy, own, org_id)
            opened = [g for g in grants if g["party"] == ANY]
            shared = sorted({g["party"] for g in grants if g["party"] != ANY})
            if opened and not (resource_type == "s3_bucket" and row.get("policy_is_public")):
                actions = sorted({a for g in opened for a in g["actions"]})
                conditions = sorted({c for g in opened for c in g["conditions"]})
                yield failed(
                    resource,
                    "open",
                    region=where,
                    severity="high",
                    party=ANY,
                    actions=_shown(actions, 3),
                    conditions=", ".join(conditions) or "-",
                )
            for party in shared:
                actions = sorted({a for g in grants if g["party"] == party for a in g["actions"]})
                yield failed(
                    f"{resource} / {party}",
                    "shared",
                    region=where,
                    severity=SEVERITY_BY_TYPE[resource_type],
                    resource_name=resource,
                    party=party,
                    actions=_shown(actions, 3),
                )
            if not grants and _grants_beyond(policy, ctx.account_id):
                yield passed(resource, "pass", region=where)
    for region, shares in ctx.regional_rows("ram.resource_shares"):
        for share in shares:
            if str(share.get("status") or "ACTIVE") not in ("ACTIVE", "PENDING"):
                continue
            resource = f"RAM: {share.get('name') or share.get('share_arn')}"
            resources = [str(r.get("arn")) for r in share.get("resources") or []]
            outside = sorted(
                {
                    str(p.get("principal"))
                    for p in share.get("principals") or []
                    if ram_principal_outside(str(p.get("principal")), own)
                }
            )
            for party in outside:
                yield failed(
                    f"{resource} / {party}",
                    "ram_shared",
                    region=region,
                    severity=SEVERITY_BY_TYPE["ram_share"],
                    resource_name=resource,
                    party=party,
                    shared_resources=_shown(resources, 3) or "-",
                )
            if not outside:
                yield passed(resource, "ram_internal", region=region, shared_resources=_shown(resources, 3) or "-")
