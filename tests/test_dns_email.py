"""2.3.1 ⑥ e-mail domain authentication: DNS collection against a real DNS server on 127.0.0.1,
the checks' verdict rules, failures to ask (time-out, SERVFAIL, NXDOMAIN) as ``error``, and SES.

The DNS server is the kit's own dnslib zone server (assess_lib/demo/dns_zone.py), started and
stopped by the fixtures that use it. SES is collected from moto; what moto cannot produce (a
DKIM setup that is not verified) is hand-built evidence.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import checkdmarc.utils
import pytest
from conftest import make_bundle, run_one, verdicts

from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.checks import registry, required_actions
from assess_lib.demo.dns_zone import DEMO_DOMAINS, DKIM_RSA_512, DKIM_RSA_1024, DKIM_RSA_2048, ZoneServer, demo_zone
from assess_lib.dns import collect_dns
from assess_lib.dns.query import parse_nameserver
from assess_lib.evidence import Bundle, CollectionError, EvidenceStore
from assess_lib.params import ParamsError, parse_params

EMAIL_CHECKS = ["email_spf", "email_dmarc_policy", "email_dmarc_reporting", "email_dkim", "email_mta_sts", "email_tls_rpt"]
SES_CHECKS = ["ses_dkim", "ses_custom_mail_from"]
ED25519_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="  # RFC 8463 example public key


def z(domain: str) -> list[tuple[str, str, Any]]:
    """SOA and MX of a test domain."""
    return [(domain, "SOA", None), (domain, "MX", (10, f"mail.{domain}")), (f"mail.{domain}", "A", "192.0.2.25")]


def dkim(domain: str, value: str, selector: str = "selector1") -> tuple[str, str, Any]:
    return (f"{selector}._domainkey.{domain}", "TXT", value)


GOOD = "good.example.jp"
LONG_SPF = "v=spf1 " + " ".join(f"ip4:198.51.100.{i}" for i in range(1, 41)) + " -all"  # ~720 bytes: 3 strings, TCP

SCENARIOS: list[tuple[str, str, Any]] = [
    *z(GOOD),
    (GOOD, "TXT", f"v=spf1 include:_spf.{GOOD} -all"),
    (f"_spf.{GOOD}", "TXT", "v=spf1 ip4:192.0.2.0/24 -all"),
    (f"_dmarc.{GOOD}", "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc@{GOOD}"),
    dkim(GOOD, f"v=DKIM1; k=rsa; p={DKIM_RSA_2048}"),  # 410 characters: two character-strings
    (f"_mta-sts.{GOOD}", "TXT", "v=STSv1; id=2025070401"),
    (f"_smtp._tls.{GOOD}", "TXT", f"v=TLSRPTv1; rua=mailto:tls@{GOOD}"),
    # A subdomain without its own DMARC record inherits good's (sp defaults to p=reject).
    (f"mail-out.{GOOD}", "TXT", "v=spf1 ip4:192.0.2.9 -all"),
    *z("softfail.example.jp"),
    ("softfail.example.jp", "TXT", "v=spf1 ip4:192.0.2.1 ~all"),
    ("_dmarc.softfail.example.jp", "TXT", "v=DMARC1; p=quarantine; sp=none; rua=mailto:d@softfail.example.jp"),
    dkim("softfail.example.jp", f"v=DKIM1; p={DKIM_RSA_1024}"),
    *z("plusall.example.jp"),
    ("plusall.example.jp", "TXT", "v=spf1 ip4:192.0.2.1 +all"),
    ("_dmarc.plusall.example.jp", "TXT", "v=DMARC1; p=reject; pct=50; rua=mailto:d@plusall.example.jp"),
    dkim("plusall.example.jp", f"v=DKIM1; k=rsa; p={DKIM_RSA_512}"),
    ("_mta-sts.plusall.example.jp", "TXT", "v=STSv1"),  # no id: malformed
    ("_smtp._tls.plusall.example.jp", "TXT", "v=TLSRPTv1"),  # no rua: malformed
    *z("neutral.example.jp"),
    ("neutral.example.jp", "TXT", "v=spf1 ip4:192.0.2.1 ?all"),
    ("_dmarc.neutral.example.jp", "TXT", "v=DMARC1; p=none"),
    dkim("neutral.example.jp", "v=DKIM1; k=rsa; p="),  # revoked
    *z("noall.example.jp"),
    ("noall.example.jp", "TXT", "v=spf1 ip4:192.0.2.1"),
    ("_dmarc.noall.example.jp", "TXT", "v=DMARC1; p=reject; rua=mailto:d@noall.example.jp"),
    ("_dmarc.noall.example.jp", "TXT", "v=DMARC1; p=none; rua=mailto:d@noall.example.jp"),  # two DMARC records
    dkim("noall.example.jp", "v=DKIM1; k=rsa; p=not*base64!"),
    *z("redirect.example.jp"),
    ("redirect.example.jp", "TXT", f"v=spf1 redirect=_spf.{GOOD}"),
    ("_dmarc.redirect.example.jp", "TXT", "v=DMARC1; p=bogus; rua=mailto:d@redirect.example.jp"),  # malformed
    dkim("redirect.example.jp", f"v=DKIM1; k=rsa; t=y; p={DKIM_RSA_2048}"),
    *z("nospf.example.jp"),
    ("nospf.example.jp", "TXT", "google-site-verification=abc"),
    dkim("nospf.example.jp", f"v=DKIM1; k=ed25519; p={ED25519_KEY}"),
    *z("twospf.example.jp"),
    ("twospf.example.jp", "TXT", "v=spf1 ip4:192.0.2.1 -all"),
    ("twospf.example.jp", "TXT", "v=spf1 ip4:192.0.2.2 -all"),
    *z("badspf.example.jp"),
    ("badspf.example.jp", "TXT", "v=spf1 ip4:192.0.2.1 frobnicate:x -all"),
    *z("many.example.jp"),
    ("many.example.jp", "TXT", "v=spf1 " + " ".join(f"a:h{i}.many.example.jp" for i in range(11)) + " -all"),
    *[(f"h{i}.many.example.jp", "A", f"198.51.100.{i + 1}") for i in range(11)],
    *z("long.example.jp"),
    ("long.example.jp", "TXT", LONG_SPF),
    ("_dmarc.long.example.jp", "TXT", "v=DMARC1; p=quarantine; pct=100; rua=mailto:d@long.example.jp"),  # pct stated
    ("_dmarc.many.example.jp", "TXT", "hello world"),  # no DMARC record, and checkdmarc's complaint about the TXT
    # Two shortcomings at once: the sentence lists both, in each language's own way.
    *z("twogaps.example.jp"),
    ("twogaps.example.jp", "TXT", "v=spf1 ip4:192.0.2.1 frobnicate:x ?all"),
    ("_dmarc.twogaps.example.jp", "TXT", "v=DMARC1; p=none; pct=50; rua=mailto:d@twogaps.example.jp"),
    # Hostile content: markup, quotes and bytes that are not UTF-8 stay inert strings.
    *z("hostile.example.jp"),
    ("hostile.example.jp", "TXT", [b"v=spf1 -all \xff<script>"]),
    ("_dmarc.hostile.example.jp", "TXT", 'v=DMARC1; p=reject; rua=mailto:"><script>alert(1)</script>'),
    dkim("hostile.example.jp", "v=DKIM1; p=<img src=x onerror=alert(1)>"),
]
# Subdomains without a DMARC record of their own: one inherits good's sp=reject, one softfail's sp=none.
DOMAINS = [*sorted({name for name, rtype, _ in SCENARIOS if rtype == "SOA"}), f"mail-out.{GOOD}", "mail.softfail.example.jp"]


@pytest.fixture(autouse=True)
def _fresh_dns_cache() -> Iterator[None]:
    """checkdmarc caches answers per process; tests must not see each other's answers."""
    checkdmarc.utils.DNS_CACHE.clear()
    yield
    checkdmarc.utils.DNS_CACHE.clear()


def dns_params(domains: list[str], selectors: list[str] | None = None, nameservers: list[str] | None = None):
    dns: dict[str, Any] = {"domains": domains, "dkim_selectors": ["selector1"] if selectors is None else selectors}
    if nameservers is not None:
        dns["nameservers"] = nameservers
    return parse_params({"customer": "テスト銀行", "dns": dns})


def collect_bundle(path: Path, nameserver: str, domains: list[str], selectors: list[str] | None = None, timeout: float = 1.0):
    """Collect the DNS datasets of ``domains`` from ``nameserver`` and return the saved bundle."""
    store = EvidenceStore(run_id="dns-test", started_at=dt.datetime.now(dt.UTC).isoformat())
    meta = collect_dns(dns_params(domains, selectors), store, nameservers=[nameserver], timeout=timeout)
    store.meta = {"accounts": [], "regions": {}, **meta}
    store.save(path, dt.datetime.now(dt.UTC).isoformat())
    return store, Bundle.load(path)


def verdict(check_id: str, bundle: Bundle, domain: str) -> str:
    found = {f.verdict.value for f in run_one(check_id, bundle, domain=domain)}
    assert len(found) == 1, found
    return found.pop()


def finding(check_id: str, bundle: Bundle, domain: str):
    findings = run_one(check_id, bundle, domain=domain)
    return findings[0]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ZoneServer, EvidenceStore, Bundle]]:
    """Every scenario domain collected once from one server."""
    checkdmarc.utils.DNS_CACHE.clear()
    with ZoneServer(SCENARIOS) as server:
        store, bundle = collect_bundle(tmp_path_factory.mktemp("dns") / "run", server.nameserver, DOMAINS)
        yield server, store, bundle


# --- collection -------------------------------------------------------------------------------


def test_collection_stores_every_dataset_per_domain_under_account_dns(scenario):
    server, _store, bundle = scenario
    assert bundle.manifest["domains"] == DOMAINS
    assert bundle.manifest["dns_nameservers"] == [server.nameserver]
    for domain in DOMAINS:
        for dataset in ("dns.domain", "dns.spf", "dns.dmarc", "dns.dkim", "dns.mta_sts", "dns.tls_rpt"):
            entry = bundle.entry(dataset, "dns", domain)
            assert entry is not None and entry["status"] == "ok", (dataset, domain, entry)
    assert bundle.verify() == []


def test_each_dataset_is_gathered_once_per_run(scenario):
    _server, store, _bundle = scenario
    # The TXT question and checkdmarc's MX look-up of the report address's domain.
    assert store.records[("dns.dmarc", "dns", GOOD)].calls == 2
    again = store.fetch("dns.dmarc", "dns", GOOD, "x", lambda: pytest.fail("asked twice"))
    assert again is store.records[("dns.dmarc", "dns", GOOD)]


def test_long_txt_records_are_joined_and_fetched_over_tcp(scenario):
    server, _store, bundle = scenario
    row = bundle.rows("dns.spf", "dns", "long.example.jp")[0]
    assert row["record"] == LONG_SPF
    assert len(row["records"][0]["string_lengths"]) == 3 and max(row["records"][0]["string_lengths"]) == 255
    assert ("long.example.jp", "TXT", "tcp") in server.log  # the UDP answer was truncated
    key = bundle.rows("dns.dkim", "dns", GOOD)[0]
    assert key["records"][0]["string_lengths"] == [255, len(key["record"]) - 255]
    assert key["key_bits"] == 2048
    assert verdict("email_spf", bundle, "long.example.jp") == "pass"


def test_hostile_txt_stays_plain_text(scenario):
    _server, _store, bundle = scenario
    spf = bundle.rows("dns.spf", "dns", "hostile.example.jp")[0]
    assert "\ufffd<script>" in spf["record"]
    dmarc = bundle.rows("dns.dmarc", "dns", "hostile.example.jp")[0]
    assert "<script>" in dmarc["record"] and dmarc["valid"] is False
    assert verdict("email_dmarc_policy", bundle, "hostile.example.jp") == "fail"
    assert verdict("email_dkim", bundle, "hostile.example.jp") == "fail"
    json.dumps([f.to_dict() for f in run_one("email_dmarc_policy", bundle, domain="hostile.example.jp")], ensure_ascii=False)


# --- SPF --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain, expected, phrase",
    [
        (GOOD, "pass", "ends in -all"),
        ("softfail.example.jp", "pass", "ends in ~all"),
        ("redirect.example.jp", "pass", "through redirect to _spf.good.example.jp"),
        ("plusall.example.jp", "fail", "+all"),
        ("neutral.example.jp", "fail", "?all"),
        ("noall.example.jp", "fail", "no all mechanism"),
        ("nospf.example.jp", "fail", "publishes no SPF record"),
        ("twospf.example.jp", "fail", "2 SPF records"),
        ("badspf.example.jp", "fail", "invalid"),
        ("many.example.jp", "fail", "11 DNS look-ups"),
    ],
)
def test_spf(scenario, domain, expected, phrase):
    f = finding("email_spf", scenario[2], domain)
    assert f.verdict.value == expected, f.message_en
    assert phrase in f.message_en and domain in f.message_en and domain in f.message_ja
    assert f.control_id == "2.3.1-6" and f.account_id == "dns" and f.region == domain


# --- DMARC ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain, expected, phrase",
    [
        (GOOD, "pass", "p=reject"),
        (f"mail-out.{GOOD}", "pass", "inherited from organisational domain good.example.jp"),
        ("softfail.example.jp", "fail", "sp=none is weaker than p=quarantine"),
        ("plusall.example.jp", "fail", "pct=50"),
        ("neutral.example.jp", "fail", "the policy is none"),
        ("noall.example.jp", "fail", "holds 2 DMARC records"),
        ("redirect.example.jp", "fail", "malformed"),
        ("nospf.example.jp", "fail", "publishes no DMARC record"),
    ],
)
def test_dmarc_policy(scenario, domain, expected, phrase):
    f = finding("email_dmarc_policy", scenario[2], domain)
    assert f.verdict.value == expected, f.message_en
    assert phrase in f.message_en, f.message_en


def test_several_shortcomings_are_one_sentence_in_each_language(scenario):
    """Parts of a failure message are joined as each language writes them (。 / ;), not as a list of items."""
    bundle = scenario[2]
    spf = finding("email_spf", bundle, "twogaps.example.jp")
    assert spf.verdict.value == "fail" and spf.severity == "high"
    assert spf.message_en.startswith("The SPF record of domain twogaps.example.jp falls short: the record is invalid (")
    assert spf.message_en.endswith("); it ends in ?all (neutral), so unlisted senders are not rejected.")
    assert spf.message_ja.startswith("ドメイン twogaps.example.jp のSPFレコードに問題があります: レコードが不正です（")
    assert spf.message_ja.endswith("）。末尾が ?all（中立）のため、リストにない送信元を拒否しません。")
    dmarc = finding("email_dmarc_policy", bundle, "twogaps.example.jp")
    assert (dmarc.verdict.value, dmarc.severity, dmarc.resource) == ("fail", "high", "_dmarc.twogaps.example.jp")
    assert dmarc.message_en == (
        "The DMARC policy of domain twogaps.example.jp is insufficient: the policy is none (monitoring only), so forged mail "
        "failing authentication is neither quarantined nor rejected; pct=50 applies the policy to only 50% of the failing mail."
    )
    assert dmarc.message_ja == (
        "ドメイン twogaps.example.jp のDMARCポリシーが不十分です: ポリシーが none（監視のみ）のため、認証に失敗したなりすましメールも"
        "隔離・拒否されません。pct=50 のため、ポリシーは該当メールの50%にしか適用されません。"
    )
    assert dmarc.details["p"] == "none" and dmarc.details["pct"] == 50


def test_subdomain_inheriting_a_weak_subdomain_policy_fails_on_it(scenario):
    f = finding("email_dmarc_policy", scenario[2], "mail.softfail.example.jp")
    assert (f.verdict.value, f.severity, f.resource, f.region) == (
        "fail",
        "high",
        "_dmarc.softfail.example.jp",
        "mail.softfail.example.jp",
    )
    assert f.message_en == (
        "The DMARC policy of domain mail.softfail.example.jp is insufficient (inherited from organisational domain "
        "softfail.example.jp, whose subdomain policy sp=none applies): the policy is none (monitoring only), so forged mail "
        "failing authentication is neither quarantined nor rejected."
    )
    assert "組織ドメイン softfail.example.jp のレコードを継承、サブドメインポリシー sp=none が適用" in f.message_ja
    assert f.details["inherited"] is True and f.details["location"] == "softfail.example.jp"
    # Reporting reads the inherited record's rua.
    assert verdict("email_dmarc_reporting", scenario[2], "mail.softfail.example.jp") == "pass"


def test_dmarc_pass_and_no_record_wordings(scenario):
    bundle = scenario[2]
    stated = finding("email_dmarc_policy", bundle, "long.example.jp")
    assert stated.verdict.value == "pass" and stated.details["effect"] == "quarantine"
    assert stated.message_en == (
        "The DMARC policy of domain long.example.jp is p=quarantine, sp=quarantine, pct=100: forged mail is quarantined."
    )
    assert (
        stated.message_ja
        == "ドメイン long.example.jp のDMARCポリシーは p=quarantine、sp=quarantine、pct=100 で、なりすましメールを隔離します。"
    )
    for check_id, tail in (
        ("email_dmarc_policy", "Publish one DMARC record with p=quarantine or p=reject."),
        ("email_dmarc_reporting", "Hence no aggregate (rua) reports arrive either, and spoofing of the domain goes unseen."),
    ):
        f = finding(check_id, bundle, "many.example.jp")
        assert f.verdict.value == "fail" and f.details["reason"] == "no_record_error", check_id
        assert f.message_en.startswith(
            'Domain many.example.jp publishes no DMARC record (TXT "v=DMARC1; …" at _dmarc.many.example.jp) ('
        )
        assert "Unrelated TXT records" in f.message_en and f.message_en.endswith(tail)
        assert f.message_ja.startswith(
            "ドメイン many.example.jp にDMARCレコード（_dmarc.many.example.jp のTXT「v=DMARC1; …」）がありません（"
        )
        assert len(f.message_en) < 400  # the collector's long complaint is quoted bounded


def test_dmarc_pct_is_parsed_although_checkdmarc_drops_it(scenario):
    row = scenario[2].rows("dns.dmarc", "dns", "plusall.example.jp")[0]
    assert row["pct"] == 50 and row["p"] == "reject" and row["valid"] is True


@pytest.mark.parametrize(
    "domain, expected",
    [
        (GOOD, "pass"),
        ("softfail.example.jp", "pass"),
        ("neutral.example.jp", "fail"),
        ("nospf.example.jp", "fail"),
        ("noall.example.jp", "fail"),
    ],
)
def test_dmarc_reporting(scenario, domain, expected):
    f = finding("email_dmarc_reporting", scenario[2], domain)
    assert f.verdict.value == expected, f.message_en
    if domain == "neutral.example.jp":
        assert "no rua" in f.message_en


# --- DKIM -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain, expected, phrase",
    [
        (GOOD, "pass", "2048-bit RSA"),
        ("softfail.example.jp", "pass", "2048-bit keys are recommended"),
        ("nospf.example.jp", "pass", "ED25519"),
        ("plusall.example.jp", "fail", "512-bit RSA, below 1024"),
        ("neutral.example.jp", "fail", "revoked"),
        ("noall.example.jp", "fail", "not valid base64"),
        ("redirect.example.jp", "fail", "testing mode"),
        ("twospf.example.jp", "fail", "publishes no DKIM key for selector selector1"),
    ],
)
def test_dkim(scenario, domain, expected, phrase):
    f = finding("email_dkim", scenario[2], domain)
    assert f.verdict.value == expected, f.message_en
    assert phrase in f.message_en, f.message_en
    assert f.resource == f"selector1._domainkey.{domain}"


def test_dkim_recommended_key_length_is_a_parameter_quoted_in_messages(scenario):
    bundle = scenario[2]
    default = finding("email_dkim", bundle, GOOD)  # 2048-bit RSA
    assert default.verdict.value == "pass" and "recommended" not in default.message_en
    raised = run_one("email_dkim", bundle, {"dkim_recommended_rsa_bits": 4096}, domain=GOOD)[0]
    assert raised.verdict.value == "pass"
    assert "(4096-bit keys are recommended)" in raised.message_en and "4096ビットへの移行を推奨します" in raised.message_ja
    lowered = run_one("email_dkim", bundle, {"dkim_recommended_rsa_bits": 1024}, domain="softfail.example.jp")[0]
    assert lowered.verdict.value == "pass" and "recommended" not in lowered.message_en  # a 1024-bit key
    # Below RFC 8301's 1024 bits a key fails whatever is recommended; the advice quotes the parameter.
    weak = run_one("email_dkim", bundle, {"dkim_recommended_rsa_bits": 3072}, domain="plusall.example.jp")[0]
    assert weak.verdict.value == "fail" and "Replace it with a 3072-bit key." in weak.message_en
    spec = registry()["email_dkim"]
    assert spec.parameters == {"dkim_recommended_rsa_bits": 2048}
    assert "2048-bit RSA" in spec.remediation("en") and "3072ビット" in spec.remediation(
        "ja", {"dkim_recommended_rsa_bits": 3072}
    )


def test_dkim_key_of_a_shape_the_parser_never_gives_passes_without_claiming_a_length(tmp_path):
    """Hand-built: the collector flags a key whose length it cannot read; an edited older bundle may not."""
    row = {"selector": "s1", "name": "s1._domainkey.odd.example.jp", "present": True, "key_type": "rsa", "key_bits": None}
    bundle = make_bundle(tmp_path, {("dns.dkim", "odd.example.jp"): [row]}, domains=["odd.example.jp"])
    f = run_one("email_dkim", bundle, domain="odd.example.jp")[0]
    assert f.verdict.value == "pass"
    assert f.message_en == "Domain odd.example.jp publishes a DKIM key (key type rsa) for selector s1."


def test_dkim_every_selector_gets_a_finding_and_none_configured_is_manual(tmp_path):
    with ZoneServer(SCENARIOS) as server:
        _, bundle = collect_bundle(tmp_path / "a", server.nameserver, [GOOD], selectors=["selector1", "selector2"])
        checkdmarc.utils.DNS_CACHE.clear()
        _, none = collect_bundle(tmp_path / "b", server.nameserver, [GOOD], selectors=[])
    assert verdicts(run_one("email_dkim", bundle, domain=GOOD)) == {
        f"selector1._domainkey.{GOOD}": "pass",
        f"selector2._domainkey.{GOOD}": "fail",
    }
    assert verdict("email_dkim", none, GOOD) == "manual"


# --- MTA-STS and TLS-RPT (recommended) --------------------------------------------------------


@pytest.mark.parametrize("check_id", ["email_mta_sts", "email_tls_rpt"])
def test_recommended_records(scenario, check_id):
    bundle = scenario[2]
    assert verdict(check_id, bundle, GOOD) == "pass"
    absent = finding(check_id, bundle, "nospf.example.jp")
    assert absent.verdict.value == "manual" and "does not require it" in absent.message_en
    assert verdict(check_id, bundle, "plusall.example.jp") == "fail"


# --- failures to ask --------------------------------------------------------------------------


def test_timeout_of_one_question_is_error_naming_the_cause(tmp_path):
    with ZoneServer(SCENARIOS, drop=[f"_dmarc.{GOOD}"]) as server:
        _, bundle = collect_bundle(tmp_path / "run", server.nameserver, [GOOD], timeout=0.5)
    for check_id in ("email_dmarc_policy", "email_dmarc_reporting"):
        f = finding(check_id, bundle, GOOD)
        assert f.verdict.value == "error"
        assert "time-out" in f.message_en and f"_dmarc.{GOOD}" in f.message_en and "タイムアウト" in f.message_ja
        assert f.details["error_kind"] == "timeout"
    assert verdict("email_spf", bundle, GOOD) == "pass"  # other evidence is unaffected


def test_silent_nameserver_makes_every_domain_check_error(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        _, bundle = collect_bundle(tmp_path / "run", f"127.0.0.1:{silent.getsockname()[1]}", [GOOD], timeout=0.5)
    for check_id in EMAIL_CHECKS:
        f = finding(check_id, bundle, GOOD)
        assert f.verdict.value == "error", check_id
        assert f.details["error_kind"] == "timeout" and f"SOA {GOOD}" in f.message_en


def test_servfail_is_error_never_fail_even_inside_an_spf_include(tmp_path):
    with ZoneServer(SCENARIOS, servfail=[f"_spf.{GOOD}", f"_smtp._tls.{GOOD}"]) as server:
        _, bundle = collect_bundle(tmp_path / "run", server.nameserver, [GOOD])
    spf = finding("email_spf", bundle, GOOD)
    assert spf.verdict.value == "error" and "SERVFAIL" in spf.message_en and f"_spf.{GOOD}" in spf.message_en
    assert verdict("email_tls_rpt", bundle, GOOD) == "error"
    assert verdict("email_dmarc_policy", bundle, GOOD) == "pass"


def test_nxdomain_of_the_domain_itself_is_error_not_found(tmp_path):
    """A domain that does not exist is a params mistake to fix, not a fail of the customer's DNS."""
    with ZoneServer(SCENARIOS) as server:
        _, bundle = collect_bundle(tmp_path / "run", server.nameserver, ["missing.example.jp"])
    for check_id in EMAIL_CHECKS:
        f = finding(check_id, bundle, "missing.example.jp")
        assert f.verdict.value == "error" and f.details["error_kind"] == "not_found"
        assert "NXDOMAIN" in f.message_en and "missing.example.jp" in f.message_en


# --- nameservers ------------------------------------------------------------------------------


def test_nameserver_entries():
    assert (parse_nameserver("127.0.0.1:5353").address, parse_nameserver("127.0.0.1:5353").port) == ("127.0.0.1", 5353)
    assert parse_nameserver("192.0.2.53").port == 53
    assert (parse_nameserver("[::1]:5353").address, parse_nameserver("[::1]:5353").port) == ("::1", 5353)
    assert parse_nameserver("2001:db8::53").port == 53
    for bad in ("dns.example.jp", "127.0.0.1:0", "127.0.0.1:x", "[::1"):
        with pytest.raises(ValueError):
            parse_nameserver(bad)


def test_demo_nameserver_needs_the_demo_server():
    store = EvidenceStore(run_id="x", started_at="2026-01-01T00:00:00+00:00")
    with pytest.raises(ValueError, match="demo DNS server"):
        collect_dns(dns_params([GOOD], nameservers=["demo"]), store)
    with pytest.raises(ParamsError, match="IP or IP:PORT"):
        collect_dns(dns_params([GOOD]), store, nameservers=["not-an-ip"])
    assert store.records == {}


# --- the demo zone ----------------------------------------------------------------------------


def test_demo_zone_shows_passes_and_fails(tmp_path):
    with ZoneServer(demo_zone()) as server:
        _, bundle = collect_bundle(tmp_path / "run", server.nameserver, DEMO_DOMAINS)
    got = {(check_id, d): verdict(check_id, bundle, d) for check_id in EMAIL_CHECKS for d in DEMO_DOMAINS}
    bank, card, news = DEMO_DOMAINS
    assert all(got[(c, bank)] == "pass" for c in EMAIL_CHECKS)
    assert got[("email_spf", card)] == got[("email_dmarc_policy", card)] == "fail"
    assert got[("email_dkim", card)] == got[("email_dmarc_reporting", card)] == "pass"
    assert got[("email_mta_sts", card)] == got[("email_tls_rpt", card)] == "fail"  # malformed records
    assert got[("email_mta_sts", news)] == got[("email_tls_rpt", news)] == "manual"  # absent
    assert got[("email_spf", news)] == got[("email_dmarc_policy", news)] == got[("email_dkim", news)] == "fail"


# --- Amazon SES -------------------------------------------------------------------------------


def ses_row(identity: str, **fields: Any) -> dict[str, Any]:
    row = {
        "identity": identity,
        "identity_type": "email_address" if "@" in identity else "domain",
        "verification_status": "Success",
        "dkim_enabled": True,
        "dkim_verification_status": "Success",
        "dkim_token_count": 3,
        "mail_from_domain": f"bounce.{identity}",
        "mail_from_status": "Success",
        "behavior_on_mx_failure": "UseDefaultValue",
    }
    row.update(fields)
    return row


def test_ses_collector_against_moto(aws, tmp_path):
    ses = aws.client("ses")
    ses.verify_domain_identity(Domain=GOOD)
    ses.verify_domain_dkim(Domain=GOOD)
    ses.set_identity_mail_from_domain(Identity=GOOD, MailFromDomain=f"bounce.{GOOD}")
    ses.verify_domain_identity(Domain="plain.example.jp")
    store = EvidenceStore(run_id="ses", started_at=dt.datetime.now(dt.UTC).isoformat())
    import boto3

    ctx = AccountContext("123456789012", ClientFactory(boto3.Session(), aws.url, 2), store, ["ap-northeast-1", "us-east-1"])
    tokyo = ctx.dataset("ses.identities", "ap-northeast-1")
    assert tokyo.ok, tokyo
    rows = {r["identity"]: r for r in tokyo.rows}
    assert rows[GOOD]["mail_from_domain"] == f"bounce.{GOOD}" and rows[GOOD]["dkim_enabled"] is True
    assert rows["plain.example.jp"]["mail_from_domain"] is None
    assert ctx.dataset("ses.identities", "us-east-1").rows == []
    store.meta = {"accounts": ["123456789012"], "regions": {"123456789012": ["ap-northeast-1", "us-east-1"]}}
    store.save(tmp_path / "run", dt.datetime.now(dt.UTC).isoformat())
    bundle = Bundle.load(tmp_path / "run")
    assert verdicts(run_one("ses_custom_mail_from", bundle)) == {GOOD: "pass", "plain.example.jp": "fail"}
    assert verdicts(run_one("ses_dkim", bundle))[GOOD] == "pass"


def test_ses_dkim_rules_on_hand_built_evidence(tmp_path):
    rows = [
        ses_row("ok.example.jp"),
        ses_row("pending.example.jp", dkim_verification_status="Pending"),
        ses_row("off.example.jp", dkim_enabled=False, dkim_verification_status="NotStarted"),
        ses_row("new.example.jp", verification_status="Pending"),
    ]
    bundle = make_bundle(tmp_path, {("ses.identities", "ap-northeast-1"): rows})
    assert verdicts(run_one("ses_dkim", bundle)) == {
        "ok.example.jp": "pass",
        "pending.example.jp": "fail",
        "off.example.jp": "fail",
        "new.example.jp": "not_applicable",
    }
    found = {f.resource: f for f in run_one("ses_dkim", bundle)}
    assert found["pending.example.jp"].message_en == (
        "SES identity pending.example.jp (ap-northeast-1) has DKIM enabled but not verified (status: Pending); "
        "publish its DKIM CNAME records in DNS."
    )
    assert "DKIM署名が無効です" in found["off.example.jp"].message_ja and found["off.example.jp"].severity == "medium"
    assert found["new.example.jp"].message_en == (
        "SES identity new.example.jp (ap-northeast-1) is not verified (Pending), cannot send, and the DKIM check does not apply."
    )
    assert found["new.example.jp"].region == "ap-northeast-1" and found["ok.example.jp"].details["dkim_token_count"] == 3


def test_ses_mail_from_unverified_is_fail(tmp_path):
    rows = [
        ses_row("a.example.jp", mail_from_status="Pending"),
        ses_row("b.example.jp", mail_from_domain=None, mail_from_status=None),
    ]
    bundle = make_bundle(tmp_path, {("ses.identities", "ap-northeast-1"): rows})
    assert verdicts(run_one("ses_custom_mail_from", bundle)) == {"a.example.jp": "fail", "b.example.jp": "fail"}


@pytest.mark.parametrize("check_id", SES_CHECKS)
def test_ses_without_identities_is_not_applicable(tmp_path, check_id):
    bundle = make_bundle(
        tmp_path,
        {("ses.identities", "ap-northeast-1"): [], ("ses.identities", "us-east-1"): []},
        regions=["ap-northeast-1", "us-east-1"],
    )
    found = run_one(check_id, bundle)
    assert [(f.verdict.value, f.resource, f.region) for f in found] == [
        ("not_applicable", "SES", "global")
    ]  # once, not per region
    assert found[0].message_en.startswith("There are no Amazon SES identities (sending domains or addresses);")


@pytest.mark.parametrize("check_id", SES_CHECKS)
def test_ses_region_without_evidence_is_error_and_others_still_judged(tmp_path, check_id):
    bundle = make_bundle(
        tmp_path,
        {
            ("ses.identities", "ap-northeast-1"): [ses_row("ok.example.jp")],
            ("ses.identities", "us-east-1"): CollectionError("access_denied", "AccessDenied", "not authorised"),
        },
        regions=["ap-northeast-1", "us-east-1"],
    )
    found = {(f.region, f.verdict.value) for f in run_one(check_id, bundle)}
    assert found == {("ap-northeast-1", "pass"), ("us-east-1", "error")}
    # No identity where the evidence is there does not make "nothing to assess" while a region is unread.
    partial = make_bundle(
        tmp_path / "partial",
        {
            ("ses.identities", "ap-northeast-1"): [],
            ("ses.identities", "us-east-1"): CollectionError("access_denied", "AccessDenied", "not authorised"),
        },
        regions=["ap-northeast-1", "us-east-1"],
    )
    assert [(f.region, f.verdict.value) for f in run_one(check_id, partial)] == [("us-east-1", "error")]


# --- registry ---------------------------------------------------------------------------------


def test_checks_are_registered_for_2_3_1_6_and_dns_needs_no_iam_permission():
    from assess_lib.catalog import load_catalog

    specs = registry()
    control = next(c for c in load_catalog() if c.control_id == "2.3.1-6")
    assert control.mode == "hybrid" and sorted(control.checks) == sorted(EMAIL_CHECKS + SES_CHECKS)
    for check_id in EMAIL_CHECKS + SES_CHECKS:
        assert specs[check_id].controls == ("2.3.1-6",)
        assert specs[check_id].title("ja") and specs[check_id].remediation("en")
        assert specs[check_id].record.module == "s2_3_1_email"
    assert all(specs[c].scope == "domain" and specs[c].permissions == [] for c in EMAIL_CHECKS)
    assert all(specs[c].scope == "region" for c in SES_CHECKS)
    actions = required_actions()
    assert "ses:GetIdentityDkimAttributes" in actions and not any(a.startswith("DNS") for a in actions)
