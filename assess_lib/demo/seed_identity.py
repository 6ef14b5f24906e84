"""デモ銀行's federation, contractor access, secrets and log-bucket protection (2.3.1 ①②③④⑦).

Each resource says what it is meant to show.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from .server import DEMO_ACCOUNT, Emulator

CONTRACTOR_ACCOUNT = "210987654321"  # the bank's system vendor (fictional)


def saml_metadata(entity_id: str, not_after: dt.datetime) -> str:
    """SAML IdP metadata with a real self-signed signing certificate valid until ``not_after``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, entity_id)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - dt.timedelta(days=730))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return (
        f'<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}"><md:IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
        f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def _trust(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})


def seed_identity(clients: Any) -> None:
    iam = clients("iam", "us-east-1")
    now = dt.datetime.now(dt.UTC)
    # Contractor access: one role with an external ID (pass), one without (fails ①).
    iam.create_role(
        RoleName="VendorMaintenance",
        AssumeRolePolicyDocument=_trust(
            {
                "Principal": {"AWS": f"arn:aws:iam::{CONTRACTOR_ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "demo-bank-vendor-7f3a"}},
            }
        ),
    )
    iam.create_role(
        RoleName="LegacyVendorAccess",
        AssumeRolePolicyDocument=_trust(
            {"Principal": {"AWS": f"arn:aws:iam::{CONTRACTOR_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        ),
    )
    # Federation: SAML provider valid for a year (pass) and one expiring in 10 days (fails ⑦).
    good = iam.create_saml_provider(
        Name="CorporateADFS", SAMLMetadataDocument=saml_metadata("adfs.demo-bank.example.jp", now + dt.timedelta(days=365))
    )
    iam.create_saml_provider(
        Name="OldIdP", SAMLMetadataDocument=saml_metadata("old-idp.demo-bank.example.jp", now + dt.timedelta(days=10))
    )
    iam.create_role(
        RoleName="ADFS-Operators",
        AssumeRolePolicyDocument=_trust(
            {
                "Principal": {"Federated": good["SAMLProviderArn"]},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            }
        ),
    )
    # GitHub Actions OIDC role without a sub condition: any repository could assume it (fails ⑦).
    oidc = iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    iam.create_role(
        RoleName="GitHubDeploy",
        AssumeRolePolicyDocument=_trust(
            {
                "Principal": {"Federated": oidc["OpenIDConnectProviderArn"]},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
            }
        ),
    )
    # Secrets: a rotating database secret (pass) and an API key never rotated (fails ③).
    sm = clients("secretsmanager", "ap-northeast-1")
    sm.create_secret(Name="core-banking/db-password", SecretString="not-a-real-secret")
    sm.create_secret(Name="payment-gateway/api-key", SecretString="not-a-real-secret")


def age_identity(emulator: Emulator) -> None:
    # Rotation needs a Lambda the emulator cannot run: set in the emulator's own process.
    lambda_arn = f"arn:aws:lambda:ap-northeast-1:{DEMO_ACCOUNT}:function:rotate-db-password"
    emulator.rotate_secret(DEMO_ACCOUNT, "ap-northeast-1", "core-banking/db-password", lambda_arn, 30, 12)
    emulator.age_role(DEMO_ACCOUNT, "LegacyVendorAccess", created_days_ago=700, last_used_days_ago=400)  # unused (fails ①)
    emulator.age_role(DEMO_ACCOUNT, "VendorMaintenance", created_days_ago=300, last_used_days_ago=12)
    emulator.age_role(DEMO_ACCOUNT, "BreakGlassAdmin", created_days_ago=500, last_used_days_ago=60)
