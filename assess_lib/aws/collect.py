"""AWS collection: accounts x regions x datasets, each gathered once, in a bounded pool."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from collections.abc import Callable

from .. import evidence as ev
from ..redact import mask_secrets
from ..datasets import DATASETS, GLOBAL_SCOPE, REGIONAL_SCOPE
from ..evidence import GLOBAL, CollectionError, DatasetRecord, EvidenceStore
from ..params import Params
from .collectors import COLLECTORS, HOME_REGION, AccountContext
from .errors import endpoint_url_in, is_unreachable
from .session import (
    ClientFactory,
    assume_role_factory,
    base_session,
    caller_identity,
    enabled_regions,
    endpoint_from,
    organization_accounts,
)

log = logging.getLogger(__name__)

# The AWS services the collectors call (botocore's names; tests/test_collect.py checks them against the collectors).
COLLECTED_SERVICES = (
    "account", "acm", "apigateway", "backup", "cloudfront", "cloudtrail", "cloudwatch", "config", "dynamodb", "ec2",
    "ecr", "efs", "eks", "elasticache", "elbv2", "events", "guardduty", "iam", "inspector2", "kms", "lambda", "logs",
    "network-firewall", "opensearch", "organizations", "ram", "rds", "resourcegroupstaggingapi", "route53", "s3",
    "s3control", "secretsmanager", "securityhub", "securitylake", "ses", "shield", "sns", "sqs", "ssm", "sso-admin",
    "sts", "wafv2",
)  # fmt: skip


class CredentialsError(Exception):
    """AWS cannot be used at all (no usable credentials, endpoint unreachable): raised before any work starts.

    The command line prints it as one paragraph without a traceback. Its message is made with the endpoint
    URL and botocore's words, so it is redacted here, once, wherever it is shown (a notebook too).
    """

    def __init__(self, message: str) -> None:
        super().__init__(mask_secrets(message))


class EndpointUnreachable(CredentialsError):
    """The AWS endpoint cannot be reached: a network or URL problem, not a credentials one."""


def _cannot_start(err: CollectionError, endpoint: str | None) -> CredentialsError:
    """The one-paragraph reason collection cannot start, phrased after the failure's kind."""
    if is_unreachable(err):
        url = endpoint_url_in(err) or endpoint or "the AWS endpoint"
        what = "did not answer in time" if err.kind == ev.TIMEOUT else "could not be reached"
        where = (
            "aws.endpoint_url in the params file (or AWS_ENDPOINT_URL) and that the service there is running"
            if endpoint
            else "the network, proxy (HTTPS_PROXY) and firewall between this machine and AWS"
        )
        return EndpointUnreachable(
            f"Connection problem: the AWS endpoint {url} {what} ({err.code}: {err.message}). "
            f"This is not a credentials problem. Fix: check {where}, then run again."
        )
    return CredentialsError(
        f"AWS credentials are missing, invalid or expired ({err.code}: {err.message}). "
        "Fix: sign in (e.g. 'aws sso login --profile NAME') and set aws.profile in the params file, "
        "or export AWS credentials for a read-only role."
    )


def collect_aws(
    params: Params,
    store: EvidenceStore,
    endpoint_url: str | None = None,
    max_attempts: int = 8,
    workers: int = 8,
    timeout: float = 20.0,
    progress: Callable[[str], None] | None = None,
    credentials: dict[str, str] | None = None,
    ready: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Gather every AWS dataset into ``store``; return the manifest metadata.

    Raises :class:`CredentialsError` when the caller cannot even be identified.
    A failing account (role missing, access denied) is recorded as errors for
    that account and does not stop the others. ``ready``, when given, blocks until the endpoint can be called (the
    demo's emulator, still being seeded): the clients of every collected service in the params' regions are made
    meanwhile.
    """
    endpoint = endpoint_from(params.aws, endpoint_url)
    try:
        base = ClientFactory(base_session(params.aws, credentials), endpoint, max_attempts, timeout)
    except CollectionError as err:
        raise _cannot_start(err, endpoint) from None
    try:
        if ready is not None:
            listed = () if isinstance(params.aws.regions, str) else params.aws.regions
            assert base.shared is not None
            base.shared.prepare(COLLECTED_SERVICES, sorted({HOME_REGION, *listed}))
            ready()
        return _collect_accounts(base, params, store, endpoint, workers, progress)
    finally:
        base.close()  # every account's clients: they are shared (session.SharedClients)


def _collect_accounts(
    base: ClientFactory,
    params: Params,
    store: EvidenceStore,
    endpoint: str | None,
    workers: int,
    progress: Callable[[str], None] | None,
) -> dict[str, Any]:
    """:func:`collect_aws` with the caller's clients made: the accounts in scope, their regions and datasets."""
    try:
        caller = caller_identity(base)
    except CollectionError as err:
        raise _cannot_start(err, endpoint) from None

    targets: list[tuple[str, ClientFactory | None, CollectionError | None]] = []
    organization: list[str] | None = None  # the organisation's accounts, when listed: they are not third parties
    accounts_param = params.aws.accounts
    if accounts_param is None:
        targets.append((caller["account_id"], base, None))
    else:
        if accounts_param == "organization":
            try:
                account_ids = organization = organization_accounts(base)
            except CollectionError as err:
                if is_unreachable(err):
                    raise _cannot_start(err, endpoint) from None
                raise CredentialsError(
                    f"Cannot list the organisation's accounts ({err.code}: {err.message}). Fix: run from the "
                    "management or a delegated administrator account with organizations:ListAccounts, or list "
                    "aws.accounts explicitly."
                ) from None
        else:
            account_ids = list(accounts_param)
        for account_id in account_ids:
            try:
                targets.append(
                    (account_id, assume_role_factory(base, account_id, params.aws.role_name or "", store.run_id), None)
                )
            except CollectionError as err:
                if account_id == caller["account_id"]:
                    targets.append((account_id, base, None))  # the caller's own account needs no role
                else:
                    targets.append((account_id, None, err))

    regions_by_account: dict[str, list[str]] = {}
    contexts: list[AccountContext] = []
    account_errors: dict[str, dict[str, str]] = {}
    # Accounts whose regions in scope are unknown (``regions: all`` and the region list could not be had):
    # their regions are [] and every regional check of them is an error naming this cause (checks/context.py).
    region_scope_errors: dict[str, dict[str, str]] = {}
    for account_id, factory, failure in targets:
        if factory is None:
            assert failure is not None
            account_errors[account_id] = {"kind": failure.kind, "code": failure.code, "message": failure.message}
            regions = [] if params.aws.regions == "all" else list(params.aws.regions)
            if params.aws.regions == "all":
                region_scope_errors[account_id] = _scope_error(
                    _account_failure_kind(failure),
                    failure.code,
                    _account_failure_message(account_id, failure, params.aws.role_name or ""),
                    ev.ASSUME_ROLE_ACTION,
                )
            regions_by_account[account_id] = regions
            _record_account_failure(store, account_id, regions, failure, params.aws.role_name or "")
            continue
        if params.aws.regions == "all":
            try:
                regions = enabled_regions(factory)
            except CollectionError as err:
                # Never guess (the session's one region would make every other region look clean).
                regions = []
                region_scope_errors[account_id] = _scope_error(err.kind, err.code, err.message, ev.REGIONS_ACTION)
            else:
                if not regions:
                    region_scope_errors[account_id] = _scope_error(
                        ev.OTHER, ev.EMPTY_REGION_LIST, "ec2:DescribeRegions listed no enabled region", ev.REGIONS_ACTION
                    )
        else:
            regions = list(params.aws.regions)
        regions_by_account[account_id] = regions
        contexts.append(AccountContext(account_id, factory, store, regions))

    tasks = [
        (ctx, name, region)
        for ctx in contexts
        for name, info in DATASETS.items()
        if name in COLLECTORS
        for region in ([GLOBAL] if info.scope == GLOBAL_SCOPE else ctx.regions if info.scope == REGIONAL_SCOPE else [])
    ]
    done = 0

    def run(task: tuple[AccountContext, str, str]) -> DatasetRecord:
        return task[0].dataset(task[1], task[2])

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="collect") as pool:
        for record in pool.map(run, tasks):
            done += 1
            if progress:
                progress(f"[{done}/{len(tasks)}] {record.account_id} {record.region} {record.dataset}: {record.status}")

    return {
        "caller": caller,
        "endpoint_url": endpoint,
        "accounts": [t[0] for t in targets],
        "regions": regions_by_account,
        "account_errors": account_errors,
        "region_scope_errors": region_scope_errors,
        "organization_accounts": organization,
    }


def _scope_error(kind: str, code: str, message: str, action: str) -> dict[str, str]:
    """The manifest's record of why an account's regions in scope are unknown."""
    return {"kind": kind, "code": code, "message": message, "action": action}


def _account_failure_kind(failure: CollectionError) -> str:
    return failure.kind if failure.kind != ev.OTHER else ev.ACCESS_DENIED


def _account_failure_message(account_id: str, failure: CollectionError, role_name: str) -> str:
    return f"cannot assume role {role_name} in {account_id}: {failure.message}"


def _record_account_failure(
    store: EvidenceStore, account_id: str, regions: list[str], failure: CollectionError, role_name: str
) -> None:
    """An account we could not enter: every dataset of it is an error naming the cause."""
    message = _account_failure_message(account_id, failure, role_name)
    for name, info in DATASETS.items():
        if info.scope == GLOBAL_SCOPE:
            scope_regions = [GLOBAL]
        elif info.scope == REGIONAL_SCOPE:
            scope_regions = regions
        else:
            continue
        for region in scope_regions:
            store.put(
                DatasetRecord(
                    name,
                    account_id,
                    region,
                    "error",
                    error_kind=_account_failure_kind(failure),
                    error_code=failure.code,
                    error_message=message,
                    action="sts:AssumeRole",
                )
            )
