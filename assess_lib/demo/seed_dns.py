"""Route 53 hosted zones of the demo's accounts: public zones, with or without DNS query logging.

The emulator reports every zone as not DNSSEC-signed (it cannot sign), so the demo shows
``route53_dnssec`` failing only; its passing case is tested on hand-built evidence.
"""

from __future__ import annotations

import uuid
from typing import Any
from collections.abc import Callable

QUERY_LOG_REGION = "us-east-1"  # Route 53 query logs go to CloudWatch Logs in us-east-1 only


def seed_hosted_zones(clients: Callable[..., Any], account_id: str, zones: dict[str, bool]) -> None:
    """Create a public hosted zone per domain; ``zones`` maps the domain to "query logging on"."""
    route53 = clients("route53", QUERY_LOG_REGION)
    logs = clients("logs", QUERY_LOG_REGION)
    for domain, logged in zones.items():
        zone_id = route53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
        route53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": f"www.{domain}",
                            "Type": "A",
                            "TTL": 300,
                            "ResourceRecords": [{"Value": "192.0.2.10"}],
                        },
                    }
                ]
            },
        )
        if logged:
            group = f"/aws/route53/{domain}"
            logs.create_log_group(logGroupName=group)
            route53.create_query_logging_config(
                HostedZoneId=zone_id,
                CloudWatchLogsLogGroupArn=f"arn:aws:logs:{QUERY_LOG_REGION}:{account_id}:log-group:{group}:*",
            )
