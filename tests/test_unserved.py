"""The emulator's unserved-API layer (assess_lib/demo/unserved.py): a registered operation is answered with the
hand-written response through real HTTP and an unchanged boto3; anything else still reaches moto."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.model import OperationNotFoundError

from assess_lib.demo import unserved


def test_json_protocol_answer_per_account_and_region(aws):
    """Shield (JSON protocol, X-Amz-Target): the wildcard answers every region, a specific region wins."""
    unserved.register(aws.url, "shield", "GetSubscriptionState", {"SubscriptionState": "INACTIVE"})
    unserved.register(aws.url, "shield", "GetSubscriptionState", {"SubscriptionState": "ACTIVE"}, region="us-east-1")
    assert aws.client("shield", "us-east-1").get_subscription_state()["SubscriptionState"] == "ACTIVE"
    assert aws.client("shield", "ap-northeast-1").get_subscription_state()["SubscriptionState"] == "INACTIVE"
    unserved.register(aws.url, "shield", "GetSubscriptionState", {"SubscriptionState": "ACTIVE"}, account="999999999999")
    assert aws.client("shield", "ap-northeast-1").get_subscription_state()["SubscriptionState"] == "INACTIVE"


def test_rest_json_operation_found_by_path_and_errors(aws):
    """Inspector2 and Account (REST-JSON): the operation is found from the method and path; an error answer is
    parsed by boto3 as that error."""
    finding = {"findingArn": "arn:aws:inspector2:ap-northeast-1:123456789012:finding/abc", "severity": "CRITICAL"}
    unserved.register(aws.url, "inspector2", "ListFindings", {"findings": [finding]})
    got = aws.client("inspector2").list_findings(filterCriteria={"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]})
    assert got["findings"][0]["severity"] == "CRITICAL"
    unserved.register(
        aws.url, "account", "GetAlternateContact", error={"status": 404, "code": "ResourceNotFoundException", "message": "none"}
    )
    with pytest.raises(ClientError) as caught:
        aws.client("account", "us-east-1").get_alternate_contact(AlternateContactType="SECURITY")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_ec2_protocol_answer_is_serialised_to_xml(aws):
    unserved.register(aws.url, "ec2", "GetSnapshotBlockPublicAccessState", {"State": "block-all-sharing"})
    assert aws.client("ec2").get_snapshot_block_public_access_state()["State"] == "block-all-sharing"
    # Everything else of EC2 still reaches moto.
    assert aws.client("ec2").describe_vpcs()["Vpcs"]


def test_unregistered_operations_answer_as_moto_and_reset_forgets(aws, moto_server):
    """Not registered: moto's own answer (here: not implemented). moto's reset clears the registry too."""
    unserved.register(aws.url, "shield", "GetSubscriptionState", {"SubscriptionState": "ACTIVE"})
    with pytest.raises(ClientError):
        aws.client("shield").describe_subscription()
    moto_server.reset()
    with pytest.raises(ClientError):
        aws.client("shield").get_subscription_state()
    unserved.register(aws.url, "shield", "GetSubscriptionState", {"SubscriptionState": "ACTIVE"})
    unserved.clear(aws.url)
    with pytest.raises(ClientError):
        aws.client("shield").get_subscription_state()


def test_register_refuses_unknown_names_and_both_answers(aws):
    with pytest.raises(OperationNotFoundError):
        unserved.register(aws.url, "inspector2", "ListFindingz", {})
    with pytest.raises(ValueError, match="not both"):
        unserved.register(aws.url, "shield", "GetSubscriptionState", {}, error={"code": "X"})
