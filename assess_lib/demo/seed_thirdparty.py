"""Third-party access of デモ銀行 (2.6): what its system vendor's account can reach besides its roles.

The vendor's roles are seed_identity's (VendorMaintenance with an external ID, used 12 days ago: passes;
LegacyVendorAccess without one, unused for 400 days: fails). Here, existing resources are shared with the vendor's
account: the loan archive bucket and the batch file key (the batch files it exchanges), and a subnet through RAM
(each fails thirdparty_resource_access: outside the organisation). The other keys' default policies and the SNS
topics' default policies grant only the account itself (passes). 情報系 is the organisation's delegated
administrator for GuardDuty (listed in the register as a member of the organisation, not a third party).
"""

from __future__ import annotations

import json
from typing import Any

from .seed_identity import CONTRACTOR_ACCOUNT
from .seed_second import INFO_ACCOUNT
from .server import DEMO_ACCOUNT

TOKYO = "ap-northeast-1"
VENDOR_ROOT = f"arn:aws:iam::{CONTRACTOR_ACCOUNT}:root"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_thirdparty(clients: Any) -> None:
    """After seed_storage, seed_crypto and seed_network (it shares their resources) and seed_inventory (the organisation)."""
    clients("s3", TOKYO).put_bucket_policy(
        Bucket="demo-bank-loan-archive",
        Policy=_policy(
            {
                "Sid": "LoanServicerRead",
                "Effect": "Allow",
                "Principal": {"AWS": VENDOR_ROOT},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::demo-bank-loan-archive", "arn:aws:s3:::demo-bank-loan-archive/*"],
            }
        ),
    )
    kms = clients("kms", TOKYO)
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    kms.put_key_policy(
        KeyId=aliases["alias/demo-bank-batch-files"],
        PolicyName="default",
        Policy=_policy(
            {
                "Sid": "Owner",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DEMO_ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "VendorBatchFiles",
                "Effect": "Allow",
                "Principal": {"AWS": VENDOR_ROOT},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
            },
        ),
    )
    subnet = clients("ec2", TOKYO).describe_subnets()["Subnets"][0]["SubnetId"]
    clients("ram", TOKYO).create_resource_share(
        name="vendor-maintenance-subnet",
        principals=[CONTRACTOR_ACCOUNT],
        resourceArns=[f"arn:aws:ec2:{TOKYO}:{DEMO_ACCOUNT}:subnet/{subnet}"],
        allowExternalPrincipals=True,
    )
    clients("organizations", "us-east-1").register_delegated_administrator(
        AccountId=INFO_ACCOUNT, ServicePrincipal="guardduty.amazonaws.com"
    )
