"""Third-party access collectors (2.6): resource policies, RAM shares and delegated administrators.

Rows are plain facts (the decoded policy document, the share's principals and resources), declared in
``collectors_thirdparty.datasets.yaml``; which principals are external is judged by
``checks/_external_access.py``. Role trust policies and their last use (``iam.authorization_details``), S3 bucket
policies (``s3.buckets``, column ``policy``) and identity providers are read from the datasets that already hold
them. The resources are listed by the datasets that already list them (``kms.keys``, ``lambda.functions``,
``secretsmanager.secrets``, ``ecr.repositories``); their policies have no bulk call in AWS, so one call per
resource is unavoidable (GetKeyPolicy, GetTopicAttributes, GetQueueAttributes, GetPolicy, GetResourcePolicy,
GetRepositoryPolicy), kept to the resources that can hold a policy of their own.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .collectors import AccountContext, Calls, _document, _error_code, collector


def _policy_or_none(calls: Calls, service: str, operation: str, absent: tuple[str, ...], field: str, **kwargs: Any) -> Any:
    """The decoded policy document, or None where the resource has none (AWS answers an error code for that)."""
    try:
        text = calls.call(service, operation, **kwargs).get(field)
    except ClientError as err:
        if _error_code(err) in absent:
            return None
        raise
    return _document(text) if text else None


@collector("kms.key_policies")
def collect_key_policies(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The key policy of every customer managed key listed by ``kms.keys`` not pending deletion (AWS managed
    keys' policies are AWS's own). One GetKeyPolicy per key: KMS has no bulk form."""
    rows = []
    for key in ctx.rows_or_raise("kms.keys", region):
        if key.get("manager") != "CUSTOMER" or key.get("state") in ("PendingDeletion", "PendingReplicaDeletion"):
            continue
        policy = _policy_or_none(calls, "kms", "get_key_policy", (), "Policy", KeyId=key["key_id"], PolicyName="default")
        rows.append({"key_id": key["key_id"], "arn": key.get("arn"), "aliases": key.get("aliases") or [], "policy": policy})
    return rows


@collector("sns.topic_policies")
def collect_topic_policies(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Every SNS topic with its access policy. ListTopics, then one GetTopicAttributes per topic (no bulk form)."""
    rows = []
    for page in calls.paginate("sns", "list_topics"):
        for topic in page.get("Topics", []):
            arn = topic["TopicArn"]
            attributes = calls.call("sns", "get_topic_attributes", TopicArn=arn).get("Attributes", {})
            policy = attributes.get("Policy")
            rows.append({"topic_arn": arn, "name": arn.rsplit(":", 1)[-1], "policy": _document(policy) if policy else None})
    return rows


@collector("sqs.queue_policies")
def collect_queue_policies(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Every SQS queue with its access policy. ListQueues, then one GetQueueAttributes per queue (no bulk form)."""
    rows = []
    for page in calls.paginate("sqs", "list_queues"):
        for url in page.get("QueueUrls", []):
            attributes = calls.call("sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn", "Policy"])
            values = attributes.get("Attributes", {})
            policy = values.get("Policy")
            rows.append(
                {
                    "queue_url": url,
                    "arn": values.get("QueueArn"),
                    "name": url.rstrip("/").rsplit("/", 1)[-1],
                    "policy": _document(policy) if policy else None,
                }
            )
    return rows


@collector("lambda.function_policies")
def collect_function_policies(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The resource-based policy of every function listed by ``lambda.functions`` (null when it has none).
    One GetPolicy per function: Lambda has no bulk form."""
    rows = []
    for function in ctx.rows_or_raise("lambda.functions", region):
        name = function["function_name"]
        policy = _policy_or_none(calls, "lambda", "get_policy", ("ResourceNotFoundException",), "Policy", FunctionName=name)
        rows.append({"function_name": name, "arn": function.get("arn"), "policy": policy})
    return rows


@collector("secretsmanager.secret_policies")
def collect_secret_policies(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The resource policy of every secret listed by ``secretsmanager.secrets`` (null when it has none).
    One GetResourcePolicy per secret: Secrets Manager has no bulk form."""
    rows = []
    for secret in ctx.rows_or_raise("secretsmanager.secrets", region):
        ref = secret.get("arn") or secret.get("name")
        policy = _policy_or_none(calls, "secretsmanager", "get_resource_policy", (), "ResourcePolicy", SecretId=ref)
        rows.append({"name": secret.get("name"), "arn": secret.get("arn"), "policy": policy})
    return rows


@collector("ecr.repository_policies")
def collect_repository_policies(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The repository policy of every repository listed by ``ecr.repositories`` (null when it has none).
    One GetRepositoryPolicy per repository: ECR has no bulk form."""
    rows = []
    absent = ("RepositoryPolicyNotFoundException",)
    for repository in ctx.rows_or_raise("ecr.repositories", region):
        name = repository.get("repository_name")
        if not name:
            continue
        policy = _policy_or_none(calls, "ecr", "get_repository_policy", absent, "policyText", repositoryName=name)
        rows.append({"repository_name": name, "arn": repository.get("arn"), "policy": policy})
    return rows


@collector("ram.resource_shares")
def collect_resource_shares(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Resource shares the account owns with their principals and resources: three listings in bulk
    (GetResourceShares, GetResourceShareAssociations for principals and for resources), whatever the number of shares."""
    shares: dict[str, dict[str, Any]] = {}
    for page in calls.paginate("ram", "get_resource_shares", resourceOwner="SELF"):
        for share in page.get("resourceShares", []):
            shares[share["resourceShareArn"]] = {
                "share_arn": share["resourceShareArn"],
                "name": share.get("name"),
                "status": share.get("status"),
                "allow_external_principals": share.get("allowExternalPrincipals"),
                "principals": [],
                "resources": [],
            }
    if not shares:
        return []
    for association_type, column in (("PRINCIPAL", "principals"), ("RESOURCE", "resources")):
        for page in calls.paginate("ram", "get_resource_share_associations", associationType=association_type):
            for association in page.get("resourceShareAssociations", []):
                share = shares.get(association.get("resourceShareArn", ""))
                if share is None or association.get("status") not in ("ASSOCIATED", "ASSOCIATING"):
                    continue
                entity = association.get("associatedEntity")
                if column == "principals":
                    share[column].append({"principal": entity, "external": bool(association.get("external"))})
                else:
                    share[column].append({"arn": entity, "type": _arn_type(str(entity))})
    return list(shares.values())


def _arn_type(arn: str) -> str:
    """``ec2:subnet`` from ``arn:aws:ec2:region:account:subnet/subnet-1``."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "resource"
    return f"{parts[2]}:{parts[5].split('/', 1)[0].split(':', 1)[0]}"


@collector("organizations.delegated_administrators")
def collect_delegated_administrators(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Delegated administrator accounts and their services, as the management account sees them.

    Only the management account (or a delegated administrator of Organizations) can list them: from a member
    account, or outside an organisation, there is nothing to list (not applicable, not missing). One
    ListDelegatedServicesForAccount per administrator (few: no bulk form).
    """
    views = {row.get("view") for row in ctx.rows_or_raise("organizations.accounts")}
    if not views & {"management", "delegated"}:
        return []
    rows = []
    for page in calls.paginate("organizations", "list_delegated_administrators"):
        for admin in page.get("DelegatedAdministrators", []):
            services = [
                s.get("ServicePrincipal")
                for p in calls.paginate("organizations", "list_delegated_services_for_account", AccountId=admin["Id"])
                for s in p.get("DelegatedServices", [])
            ]
            rows.append(
                {
                    "account_id": admin["Id"],
                    "name": admin.get("Name"),
                    "status": admin.get("Status"),
                    "delegation_enabled": admin.get("DelegationEnabledDate"),
                    "services": sorted(s for s in services if s),
                }
            )
    return rows
