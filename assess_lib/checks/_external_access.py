"""Which principals outside the organisation a policy lets in: the shared model of 2.6 (third parties).

Pure functions over policy documents and evidence rows; no boto3. :func:`external_grants` reads one policy
document (a role's trust policy or a resource policy) against the organisation's account IDs and returns the
external principals it grants. :func:`external_parties` builds the register of third-party access an estate
grants from a bundle (or hand-made tables), one row per party, resource and way in.

Reading rules (honest, not generous):

- Only ``Allow`` statements grant. ``NotPrincipal`` with ``Allow`` grants everyone but the named: read as ``*``.
- A ``Deny`` statement whose principal is everyone and whose condition refuses requests from outside the
  organisation (``StringNotEquals`` on ``aws:PrincipalOrgID``, ``aws:PrincipalAccount``...) restricts the
  grants whose actions it covers: they are not external.
- A grant conditioned on the organisation (``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``, ``aws:SourceOrgID``),
  on own accounts (``aws:PrincipalAccount``, ``aws:SourceAccount``, ``aws:SourceOwner``) or on the network
  (``aws:SourceVpce``, ``aws:SourceVpc``) is not external. An organisation ID other than the organisation's (when
  it is known) is an external party; when the organisation is not visible, an ``aws:PrincipalOrgID`` condition is
  taken as the organisation's own (the kit cannot tell).
- Service principals (``Service``) are AWS acting for the account: not third parties.
- ``Federated`` principals are identity providers (SAML, OIDC, web identity): the party is the provider.
- ``sts:ExternalId`` in a trust statement's condition makes ``external_id_required`` true.
"""

from __future__ import annotations

import fnmatch
import re
from functools import partial
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..evidence import GLOBAL, NOT_COLLECTED, EvidenceUnavailable
from .context import parse_time

ANY = "*"
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ARN_ACCOUNT_RE = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")

# Condition keys that tie a request to the organisation, to named accounts or to the organisation's network.
_ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid", "aws:resourceorgid"})
_ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})
_ACCOUNT_KEYS = frozenset({"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "aws:resourceaccount"})
_ARN_KEYS = frozenset({"aws:sourcearn", "aws:principalarn"})
_NETWORK_KEYS = frozenset({"aws:sourcevpce", "aws:sourcevpc"})
_EXTERNAL_ID_KEY = "sts:externalid"
# Operators under which the values say what is allowed (the negated ones say what is refused).
_POSITIVE = ("stringequals", "stringlike", "stringequalsignorecase", "arnequals", "arnlike")
_NEGATIVE = ("stringnotequals", "stringnotlike", "stringnotequalsignorecase", "arnnotequals", "arnnotlike")

KINDS = ("role_trust", "resource_policy", "ram_share", "saml", "oidc", "delegated_admin")

# Datasets the register reads (global ones once per account, regional ones per region).
GLOBAL_DATASETS = (
    "organizations.accounts",
    "iam.authorization_details",
    "iam.saml_providers",
    "iam.oidc_providers",
    "s3.buckets",
    "organizations.delegated_administrators",
)
# dataset -> (resource type, column naming the resource)
REGIONAL_POLICIES: dict[str, tuple[str, str]] = {
    "kms.key_policies": ("kms_key", "arn"),
    "sns.topic_policies": ("sns_topic", "topic_arn"),
    "sqs.queue_policies": ("sqs_queue", "arn"),
    "lambda.function_policies": ("lambda_function", "arn"),
    "secretsmanager.secret_policies": ("secret", "arn"),
    "ecr.repository_policies": ("ecr_repository", "arn"),
}
REGIONAL_DATASETS = (*REGIONAL_POLICIES, "ram.resource_shares")


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    return [dict(s) for s in _listed(document.get("Statement")) if isinstance(s, Mapping)]


def _conditions(statement: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(operator, key, values) with operator and key lower-cased, ``ForAnyValue:``/``IfExists`` dropped."""
    found = []
    for operator, block in (statement.get("Condition") or {}).items():
        if not isinstance(block, Mapping):
            continue
        op = str(operator).lower().split(":")[-1].removesuffix("ifexists")
        for key, values in block.items():
            found.append((op, str(key).lower(), [str(v) for v in _listed(values)]))
    return found


def account_of(principal: str) -> str | None:
    """The account ID a principal names (a bare ID or an IAM/STS ARN), else None."""
    if _ACCOUNT_RE.match(principal):
        return principal
    match = _ARN_ACCOUNT_RE.match(principal)
    return match.group(1) if match else None


def _actions(statement: Mapping[str, Any]) -> list[str]:
    if "Action" in statement:
        return sorted({str(a) for a in _listed(statement["Action"])})
    return ["NotAction: " + ", ".join(sorted(str(a) for a in _listed(statement.get("NotAction"))))]


def _covers(patterns: list[str], actions: list[str]) -> bool:
    return all(any(fnmatch.fnmatchcase(a.lower(), p.lower()) for p in patterns) for a in actions)


def _is_everyone(principal: Any) -> bool:
    if principal == ANY:
        return True
    return isinstance(principal, Mapping) and ANY in _listed(principal.get("AWS"))


def _restriction(
    conditions: list[tuple[str, str, list[str]]], own: set[str], org_id: str | None, negated: bool
) -> tuple[bool, set[str]]:
    """Whether the conditions keep a grant inside the organisation, and the outside accounts or organisations
    they name instead (``negated``: read the refusing operators of a Deny statement)."""
    operators = _NEGATIVE if negated else _POSITIVE
    restricted, outside = False, set()
    for op, key, values in conditions:
        if op not in operators:
            continue
        if key in _ORG_KEYS:
            foreign = {v for v in values if org_id and v != org_id}
            outside |= foreign
            restricted |= not foreign
        elif key in _ORG_PATH_KEYS:
            foreign = {v for v in values if org_id and org_id not in v}
            outside |= foreign
            restricted |= not foreign
        elif key in _ACCOUNT_KEYS or key in _ARN_KEYS:
            accounts = {account_of(v) or (v if key in _ACCOUNT_KEYS else _arn_account(v)) for v in values}
            foreign = {a for a in accounts if a and a not in own and ANY not in a}
            outside |= foreign
            restricted |= bool(accounts) and not foreign and all(a and ANY not in a for a in accounts)
        elif key in _NETWORK_KEYS and not negated:
            restricted = True
    return restricted and not outside, outside


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and _ACCOUNT_RE.match(parts[4]) else None


def _org_guards(document: Any, own: set[str], org_id: str | None) -> list[list[str]]:
    """Action patterns of Deny statements refusing everyone outside the organisation."""
    guards = []
    for statement in statements(document):
        if statement.get("Effect") != "Deny" or not _is_everyone(statement.get("Principal")):
            continue
        restricted, _ = _restriction(_conditions(statement), own, org_id, negated=True)
        if restricted and "Action" in statement:
            guards.append([str(a) for a in _listed(statement["Action"])])
    return guards


def external_grants(document: Any, own_accounts: Iterable[str], org_id: str | None = None) -> list[dict[str, Any]]:
    """The external principals ``document`` grants, one dict per principal and statement.

    Keys: ``party`` (an account ID, ``*``, an organisation ID, a provider ARN or name, a canonical user),
    ``principal`` (as written), ``principal_type`` (``account`` | ``any`` | ``organisation`` | ``federated`` |
    ``canonical_user``), ``account`` (the party's account ID or None), ``actions`` (sorted), ``conditions``
    (condition keys, lower case), ``external_id_required`` (bool). ``own_accounts``: the organisation's account IDs
    (or, when it is not visible, the assessed accounts); ``org_id``: its ID when known.
    """
    own = set(own_accounts)
    guards = _org_guards(document, own, org_id)
    grants: list[dict[str, Any]] = []
    for statement in statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = _actions(statement)
        if any(_covers(g, actions) for g in guards if "Action" in statement):
            continue
        conditions = _conditions(statement)
        restricted, outside = _restriction(conditions, own, org_id, negated=False)
        keys = sorted({k for _, k, _ in conditions})
        external_id = any(k == _EXTERNAL_ID_KEY for k in keys)
        base = {"actions": actions, "conditions": keys, "external_id_required": external_id}
        if "NotPrincipal" in statement:
            principals: list[tuple[str, str]] = [("AWS", ANY)]
        elif isinstance(statement.get("Principal"), str):  # "*", or a bare account, ARN or service (moto writes them so)
            written = str(statement["Principal"])
            principals = [("Service" if written.endswith(".amazonaws.com") else "AWS", written)]
        else:
            block = statement.get("Principal") or {}
            principals = [(str(t), str(p)) for t, v in block.items() for p in _listed(v)] if isinstance(block, Mapping) else []
        for kind, principal in principals:
            if kind == "Service":
                continue  # AWS acting for the account
            if kind == "Federated":
                grants.append(
                    {"party": principal, "principal": principal, "principal_type": "federated", "account": None, **base}
                )
                continue
            if kind == "CanonicalUser":
                grants.append(
                    {"party": principal, "principal": principal, "principal_type": "canonical_user", "account": None, **base}
                )
                continue
            if principal == ANY:
                if restricted:
                    continue
                if outside:  # open, but only to named outside accounts or organisations
                    for party in sorted(outside):
                        kind_of = "account" if _ACCOUNT_RE.match(party) else "organisation"
                        account = party if kind_of == "account" else None
                        grants.append(
                            {"party": party, "principal": principal, "principal_type": kind_of, "account": account, **base}
                        )
                    continue
                grants.append({"party": ANY, "principal": principal, "principal_type": "any", "account": None, **base})
                continue
            account = account_of(principal)
            if account is None or account in own:
                continue
            grants.append({"party": account, "principal": principal, "principal_type": "account", "account": account, **base})
    return grants


def actions_summary(actions: Iterable[str], limit: int = 3) -> str:
    """``s3:GetObject, s3:PutObject (+2)``: the first few actions and how many more."""
    listed = sorted(set(actions))
    more = f" (+{len(listed) - limit})" if len(listed) > limit else ""
    return ", ".join(listed[:limit]) + more


# --- the organisation ------------------------------------------------------------------------------

Reader = Callable[[str, str], list[dict[str, Any]]]  # (dataset, region) -> rows; raises EvidenceUnavailable


def organisation(read: Reader, assessed: Iterable[str]) -> tuple[set[str], str | None]:
    """The organisation's account IDs and ID; the assessed accounts when the organisation is not visible
    (a member account sees only its own membership; those accounts are added too)."""
    own = set(assessed)
    org_id = None
    try:
        rows = read("organizations.accounts", GLOBAL)
    except EvidenceUnavailable:
        return own, None
    for row in rows:
        if row.get("account_id"):
            own.add(str(row["account_id"]))
        if row.get("management_account_id"):
            own.add(str(row["management_account_id"]))
        org_id = org_id or row.get("organization_id")
    return own, org_id


# --- the register ---------------------------------------------------------------------------------


def _row(party: str, kind: str, account: str, region: str, resource: str, resource_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "party": party,
        "kind": kind,
        "account": account,
        "region": region,
        "resource": resource,
        "resource_type": resource_type,
        "external_id_required": extra.get("external_id_required"),
        "last_used": extra.get("last_used"),
        "actions_summary": extra.get("actions_summary", ""),
        "conditions": extra.get("conditions", []),
        "in_organisation": extra.get("in_organisation", False),
    }


def provider_name(arn: str) -> str:
    """An identity provider named as IAM names it: a SAML provider's name, an OIDC provider's URL without its scheme
    (``oidc.eks.ap-northeast-1.amazonaws.com/id/EXAMPLE``, not its last segment ``EXAMPLE``)."""
    for marker in (":saml-provider/", ":oidc-provider/"):
        if marker in arn:
            return arn.split(marker, 1)[1]
    return arn


def cluster_issuers(read: Reader, regions: Iterable[str]) -> set[str]:
    """The OpenID Connect issuers of an account's EKS clusters, as IAM names their providers. Roles trusting one let
    the cluster's own pods in, not an outside party. A region whose clusters were not listed adds none (the
    providers are then listed as parties: the register errs towards naming them)."""
    issuers: set[str] = set()
    for region in regions:
        try:
            clusters = read("eks.clusters", region)
        except EvidenceUnavailable:
            continue
        for cluster in clusters:
            issuer = str(cluster.get("oidc_issuer") or "")
            if issuer:
                issuers.add(issuer.removeprefix("https://").rstrip("/"))
    return issuers


def _provider_kind(arn: str) -> str | None:
    if ":saml-provider/" in arn:
        return "saml"
    if ":oidc-provider/" in arn:
        return "oidc"
    return None


def role_trust_rows(
    roles: list[dict[str, Any]], account: str, own: set[str], org_id: str | None, own_issuers: Iterable[str] = ()
) -> Iterator[dict[str, Any]]:
    """Roles whose trust policy lets in outside accounts, everyone, or a federated identity provider (not the
    estate's own EKS clusters, ``own_issuers``: see :func:`cluster_issuers`)."""
    own_issuers = set(own_issuers)
    for role in roles:
        if role.get("entity_type") != "role":
            continue
        for grant in external_grants(role.get("trust_policy"), own, org_id):
            kind = "role_trust"
            party = grant["party"]
            if grant["principal_type"] == "federated":
                kind = _provider_kind(party) or "oidc"  # web identity (accounts.google.com, cognito...)
                party = provider_name(party)
                if party in own_issuers:
                    continue
            yield _row(
                party,
                kind,
                account,
                GLOBAL,
                str(role.get("arn") or role.get("name")),
                "iam_role",
                external_id_required=grant["external_id_required"] if kind == "role_trust" else None,
                last_used=parse_time(role.get("last_used")),
                actions_summary=actions_summary(grant["actions"]),
                conditions=grant["conditions"],
            )


def provider_rows(
    providers: list[dict[str, Any]], kind: str, account: str, own_issuers: Iterable[str] = ()
) -> Iterator[dict[str, Any]]:
    """Identity providers, one row each (the roles trusting one are listed by :func:`role_trust_rows`), but those of
    the estate's own EKS clusters."""
    own_issuers = set(own_issuers)
    for provider in providers:
        arn = str(provider.get("arn") or "")
        name = provider_name(arn) if "/" in arn else str(provider.get("name") or provider.get("url") or arn)
        if name not in own_issuers:
            yield _row(name, kind, account, GLOBAL, arn, f"{kind}_provider")


def policy_rows(
    rows: list[dict[str, Any]], resource_type: str, column: str, account: str, region: str, own: set[str], org_id: str | None
) -> Iterator[dict[str, Any]]:
    """Resources whose policy grants principals outside the organisation (``policy`` column)."""
    for row in rows:
        for grant in external_grants(row.get("policy"), own, org_id):
            yield _row(
                grant["party"],
                "resource_policy",
                account,
                row.get("region") or region,
                str(row.get(column) or row.get("arn") or row.get("name")),
                resource_type,
                actions_summary=actions_summary(grant["actions"]),
                conditions=grant["conditions"],
            )


def ram_rows(
    shares: list[dict[str, Any]], account: str, region: str, own: set[str], org_id: str | None
) -> Iterator[dict[str, Any]]:
    """Active RAM shares' principals outside the organisation, one row per principal and resource."""
    for share in shares:
        if str(share.get("status") or "ACTIVE") not in ("ACTIVE", "PENDING"):
            continue
        for principal in share.get("principals") or []:
            party = str(principal.get("principal") if isinstance(principal, Mapping) else principal)
            if not ram_principal_outside(party, own):
                continue
            for resource in share.get("resources") or [{"arn": share.get("share_arn"), "type": "resource-share"}]:
                yield _row(
                    party,
                    "ram_share",
                    account,
                    region,
                    str(resource.get("arn")),
                    str(resource.get("type") or "ram_resource"),
                    actions_summary=str(share.get("name") or share.get("share_arn") or ""),
                )


def ram_principal_outside(principal: str, own: set[str]) -> bool:
    """A RAM principal outside the organisation: another account (or a principal of one). The organisation, its
    OUs and service principals are not (RAM shares with no other organisation)."""
    if ":organizations::" in principal or principal.endswith(".amazonaws.com"):
        return False
    account = account_of(principal)
    return account is not None and account not in own


def delegated_admin_rows(admins: list[dict[str, Any]], account: str, own: set[str]) -> Iterator[dict[str, Any]]:
    """Delegated administrators, one row per account and service (members of the organisation)."""
    for admin in admins:
        acct = str(admin.get("account_id"))
        for service in admin.get("services") or [None]:
            yield _row(
                acct,
                "delegated_admin",
                account,
                GLOBAL,
                str(service or admin.get("name") or acct),
                "organizations_service",
                last_used=None,
                actions_summary=str(service or ""),
                in_organisation=acct in own,
            )


def account_parties(
    read: Reader, account: str, regions: list[str], assessed: Iterable[str]
) -> tuple[list[dict[str, Any]], list[EvidenceUnavailable]]:
    """The register rows of one account and the evidence that was missing (each source read on its own)."""
    own, org_id = organisation(read, assessed)
    rows: list[dict[str, Any]] = []
    gaps: list[EvidenceUnavailable] = []

    def take(produce: Callable[..., Iterable[dict[str, Any]]], dataset: str, region: str, *args: Any) -> None:
        """The rows ``produce`` makes of one dataset's rows; a dataset that is missing is noted, the others go on."""
        try:
            rows.extend(produce(read(dataset, region), *args))
        except EvidenceUnavailable as missing:
            gaps.append(missing)

    issuers = cluster_issuers(read, regions)
    take(role_trust_rows, "iam.authorization_details", GLOBAL, account, own, org_id, issuers)
    # Providers a role trusts are already named by that role's row.
    trusted = {r["party"] for r in rows if r["kind"] in ("saml", "oidc")}
    for dataset, kind in (("iam.saml_providers", "saml"), ("iam.oidc_providers", "oidc")):
        take(
            lambda found, k: [r for r in provider_rows(found, k, account, issuers) if r["party"] not in trusted],
            dataset,
            GLOBAL,
            kind,
        )
    take(policy_rows, "s3.buckets", GLOBAL, "s3_bucket", "bucket", account, GLOBAL, own, org_id)
    take(delegated_admin_rows, "organizations.delegated_administrators", GLOBAL, account, own)
    for region in regions:
        for dataset, (resource_type, column) in REGIONAL_POLICIES.items():
            take(policy_rows, dataset, region, resource_type, column, account, region, own, org_id)
        take(ram_rows, "ram.resource_shares", region, account, region, own, org_id)
    return rows, gaps


class _Tables:
    """Hand-made tables ``{(dataset, account, region): rows}`` read like a bundle."""

    def __init__(self, tables: Mapping[tuple[str, str, str], list[dict[str, Any]]]) -> None:
        self.tables = tables
        self.accounts = sorted({a for _, a, _ in tables})

    def regions(self, account: str) -> list[str]:
        return sorted({r for _, a, r in self.tables if a == account and r != GLOBAL})

    def rows(self, dataset: str, account: str, region: str = GLOBAL) -> list[dict[str, Any]]:
        if (dataset, account, region) not in self.tables:
            raise EvidenceUnavailable(dataset, account, region, NOT_COLLECTED)
        return list(self.tables[(dataset, account, region)])


def _read(source: Any, account: str, dataset: str, region: str) -> list[dict[str, Any]]:
    return list(source.rows(dataset, account, region))


def external_parties_with_gaps(bundle_or_tables: Any) -> tuple[list[dict[str, Any]], list[EvidenceUnavailable]]:
    """:func:`external_parties` and the evidence that was missing (each an :class:`EvidenceUnavailable`)."""
    source = _Tables(bundle_or_tables) if isinstance(bundle_or_tables, Mapping) else bundle_or_tables
    rows: list[dict[str, Any]] = []
    gaps: list[EvidenceUnavailable] = []
    accounts = list(source.accounts)
    # A multi-account run lists the organisation's accounts in the bundle's manifest.
    known = [*accounts, *((getattr(source, "manifest", None) or {}).get("organization_accounts") or [])]
    for account in accounts:
        found, missing = account_parties(partial(_read, source, account), account, list(source.regions(account)), known)
        rows.extend(found)
        gaps.extend(missing)
    rows.sort(key=lambda r: (r["party"], r["kind"], r["account"], r["region"], r["resource"]))
    return rows, gaps


def external_parties(bundle_or_tables: Any) -> list[dict[str, Any]]:
    """The register of third-party access the estate grants, from evidence: one row per party, resource and way in.

    ``bundle_or_tables``: a :class:`~assess_lib.evidence.Bundle` or hand-made tables
    ``{(dataset, account_id, region): rows}`` (region ``global`` for global datasets). Rows:
    ``party`` (account ID, ``*``, organisation ID, identity provider name, principal), ``kind`` (role_trust |
    resource_policy | ram_share | saml | oidc | delegated_admin), ``account``, ``region``, ``resource``,
    ``resource_type``, ``external_id_required`` (bool for role trust, else None), ``last_used`` (datetime or None:
    roles only), ``actions_summary``, ``conditions`` (condition keys of the grant), ``in_organisation`` (true for
    delegated administrators that are members). Evidence that could not be read is left out (see
    :func:`external_parties_with_gaps`): this list is never a proof of absence.
    """
    return external_parties_with_gaps(bundle_or_tables)[0]
