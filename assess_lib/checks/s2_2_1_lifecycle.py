"""End of support of managed runtimes and engines (2.2.1.2 ① the software ledger, 2.3.4.1 ③ upgrade or
decommission software at the end of its support).

Each resource's version is looked up in the kit's dated table (``catalog/end_of_support.yaml``, see
:mod:`._end_of_support`) on the day the evidence was collected:

- past its end of support (standard, or extended where AWS offers it): a failure of the record's severity;
- past standard support but within AWS's paid extended support: a failure of medium severity (security fixes
  continue until the extended date, at a charge);
- standard support ending within ``end_of_support_warning_days``: a failure of low severity (the upgrade is
  due to be planned now);
- otherwise, or with no end announced when the table was compiled: a pass stating the date;
- a version the table does not list: not judged (``not_applicable``, saying so).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..core.text import Phrase
from . import check, failed, not_applicable, passed
from ._end_of_support import ENDED, EXTENDED, NEAR, NO_END, load_table, status
from .context import CheckContext
from .result import Result

WARNING_DAYS = "end_of_support_warning_days"


def judge(ctx: CheckContext, service: str, resource: str, what: Phrase, version: str | None, engine: str | None = None) -> Result:
    """One resource's result against the table (``what`` names it in the messages: a Phrase of the check)."""
    table = load_table()
    today = ctx.now.date()
    facts: dict[str, Any] = {"what": what, "version": version or "", "compiled": table.compiled.isoformat()}
    found = table.find(service, version, engine)
    if found is None:
        return not_applicable(resource, "not_listed", **facts)
    product, entry = found
    facts["source"] = product.sources[0]
    state, date = status(entry, today, int(ctx.params[WARNING_DAYS]))
    if state == ENDED:
        return failed(resource, "ended", end=str(date), **facts)
    if state == EXTENDED:
        return failed(resource, "extended", severity="medium", standard_end=str(entry.standard_end), end=str(date), **facts)
    if state == NEAR:
        assert date is not None
        return failed(resource, "near", severity="low", end=str(date), days=(date - today).days, **facts)
    if state == NO_END:
        return passed(resource, "no_end", **facts)
    return passed(resource, "pass", end=str(date), **facts)


@check("lambda_runtime_support")
def lambda_runtime_support(ctx: CheckContext) -> Iterator[Result]:
    """Every Lambda function on a .zip runtime runs a runtime still supported (container image functions bring
    their own runtime and are not judged here)."""
    for fn in ctx.rows("lambda.functions"):
        if not fn.get("runtime"):
            continue
        name = fn["function_name"]
        yield judge(ctx, "lambda", name, Phrase("what", resource=name, version=fn["runtime"]), fn["runtime"])


@check("rds_engine_support")
def rds_engine_support(ctx: CheckContext) -> Iterator[Result]:
    """Every DB cluster and every DB instance outside a cluster runs an engine version still supported (the
    members of a cluster run the cluster's version: judged once, as the cluster)."""
    clusters = ctx.rows("rds.db_clusters")
    instances = ctx.rows("rds.db_instances")
    for cluster in clusters:
        ident, engine, version = cluster["cluster_id"], cluster.get("engine"), cluster.get("engine_version")
        what = Phrase("what_cluster", resource=ident, engine=engine or "", version=version or "")
        yield judge(ctx, "rds", ident, what, version, engine)
    for db in instances:
        if db.get("cluster_id"):
            continue
        ident, engine, version = db["db_instance_id"], db.get("engine"), db.get("engine_version")
        what = Phrase("what_instance", resource=ident, engine=engine or "", version=version or "")
        yield judge(ctx, "rds", ident, what, version, engine)


@check("eks_version_support")
def eks_version_support(ctx: CheckContext) -> Iterator[Result]:
    """Every EKS cluster runs a Kubernetes version still supported by EKS."""
    for cluster in ctx.rows("eks.clusters"):
        name, version = cluster["name"], cluster.get("version")
        yield judge(ctx, "eks", name, Phrase("what", resource=name, version=version or ""), version)


@check("elasticache_engine_support")
def elasticache_engine_support(ctx: CheckContext) -> Iterator[Result]:
    """Every ElastiCache replication group, and every cache cluster outside one, runs a supported engine
    version (a replication group's nodes share its version: judged once, as the group)."""
    seen: set[str] = set()
    for cluster in ctx.rows("elasticache.cache_clusters"):
        ident = cluster.get("replication_group_id") or cluster["cache_cluster_id"]
        if ident in seen:
            continue
        seen.add(ident)
        engine, version = cluster.get("engine"), cluster.get("engine_version")
        what = Phrase("what", resource=ident, engine=engine or "", version=version or "")
        yield judge(ctx, "elasticache", ident, what, version, engine)


@check("opensearch_version_support")
def opensearch_version_support(ctx: CheckContext) -> Iterator[Result]:
    """Every OpenSearch Service domain runs an engine version still supported."""
    for domain in ctx.rows("opensearch.domains"):
        name, version = domain["domain_name"], domain.get("engine_version")
        yield judge(ctx, "opensearch", name, Phrase("what", resource=name, version=version or ""), version)
