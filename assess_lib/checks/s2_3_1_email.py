"""Checks for guideline item 2.3.1 ⑥: e-mail domain authentication (SPF/DKIM/DMARC) and Amazon SES.

Domain checks run once per e-mail domain on DNS evidence (account ``dns``, region = the
domain); the SES checks run per AWS account. Record text in the evidence is
customer-controlled: it is only compared and quoted, never interpreted further here.

Verdict rules (issue: FSA 2.3.1 ⑥):

* ``email_spf``: one valid SPF record, at most 10 DNS look-ups, ending in ``-all`` or
  ``~all`` (own or via ``redirect=``). Missing, several, invalid, ``+all``, ``?all`` or no
  ``all`` fail.
* ``email_dmarc_policy``: one valid DMARC record with ``p=quarantine`` or ``p=reject``;
  ``sp`` weaker than ``p`` fails; ``pct`` below 100 fails (the policy is applied to part of
  the mail only). Missing, several or malformed records fail. A subdomain without a record
  of its own is judged on the subdomain policy it inherits.
* ``email_dmarc_reporting``: aggregate reports (``rua``) are requested. A domain without a
  usable DMARC record fails here too: it receives no reports either.
* ``email_dkim``: every configured selector has exactly one key; missing, revoked (empty
  ``p=``), malformed, testing mode (``t=y``) or an RSA key below 1024 bits fail; 1024 to
  2047 bits pass with a note that 2048 is recommended. No selector configured: ``manual``.
* ``email_mta_sts`` / ``email_tls_rpt``: recommended, not required by the guideline:
  present and well-formed passes, absent is ``manual`` with advice, present but malformed
  fails (low severity: a broken record the owner meant to publish).
* ``ses_dkim`` / ``ses_custom_mail_from``: per verified SES identity, DKIM enabled and
  verified; a custom MAIL FROM domain verified. No identities: ``not_applicable``.

A DNS question that could not be answered never reaches these functions as a verdict: the
dataset is an error and the runner reports ``error`` with the cause.
"""

from __future__ import annotations

from typing import Any

from . import DOMAIN_SCOPE, check
from .context import CheckContext

CONTROL = "2.3.1-6"
DKIM_MIN_BITS = 1024  # below this a key can be factored; RFC 8301 forbids verifiers to accept < 1024
DKIM_RECOMMENDED_BITS = 2048
SPF_MAX_LOOKUPS = 10  # RFC 7208 4.6.4
_POLICY_ORDER = ("none", "quarantine", "reject")


def _one(ctx: CheckContext, dataset: str) -> dict[str, Any]:
    """The single row of a per-domain dataset (raises EvidenceUnavailable when not gathered)."""
    rows = ctx.rows(dataset, ctx.domain or "")
    return rows[0] if rows else {}


def _short(text: Any, limit: int = 160) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOUMS" else "a"  # "an MTA-STS", "an SMTP ..." (said as letters)


def _strength(policy: str | None) -> int:
    return _POLICY_ORDER.index(policy) if policy in _POLICY_ORDER else 0


# --- SPF --------------------------------------------------------------------------------------


@check("email_spf", controls=[CONTROL], datasets=["dns.spf"], scope=DOMAIN_SCOPE)
def spf(ctx: CheckContext) -> None:
    domain = ctx.domain or ""
    row = _one(ctx, "dns.spf")
    facts = {
        k: row.get(k) for k in ("record", "record_count", "dns_lookups", "void_dns_lookups", "all", "all_from", "valid", "error")
    }
    if not row.get("present"):
        ctx.failed(
            domain,
            f"ドメイン {domain} にSPFレコード（{domain} のTXT「v=spf1 …」）がありません。受信側は正規の送信元を判別できず、なりすましメールを防げません。",
            f'Domain {domain} publishes no SPF record (TXT "v=spf1 …" at {domain}): receivers cannot tell its legitimate senders from forgers.',
            domain,
            **facts,
        )
        return
    if row.get("record_count", 1) > 1:
        ctx.failed(
            domain,
            f"ドメイン {domain} にSPFレコードが{row['record_count']}件あります。複数のSPFレコードは恒久エラー（permerror）となり、SPFが機能しません。1件に統合してください。",
            f"Domain {domain} publishes {row['record_count']} SPF records; several records are a permanent error (permerror), so SPF does not work. Merge them into one.",
            domain,
            **facts,
        )
        return
    gaps_ja: list[str] = []
    gaps_en: list[str] = []
    lookups = row.get("dns_lookups")
    too_many = isinstance(lookups, int) and lookups > SPF_MAX_LOOKUPS
    if too_many:
        gaps_ja.append(f"DNS参照が{lookups}回必要です（上限{SPF_MAX_LOOKUPS}回、超過すると受信側でpermerror）")
        gaps_en.append(f"it needs {lookups} DNS look-ups (limit {SPF_MAX_LOOKUPS}; receivers return permerror beyond it)")
    broken = row.get("broken_reference")
    broken_via = (
        broken.get("via")
        if isinstance(broken, dict)
        and broken.get("via") in ("include", "redirect")
        and broken.get("reason") in ("nxdomain", "no_spf")
        else None
    )
    if broken_via:
        ja, en = ctx.text(f"{broken_via}_{broken['reason']}", name=_short(broken.get("name"), 100))
        gaps_ja.append(ja)
        gaps_en.append(en)
        facts["broken_reference"] = broken
    elif row.get("valid") is False and not too_many:
        gaps_ja.append(f"レコードが不正です（{_short(row.get('error'))}）")
        gaps_en.append(f"the record is invalid ({_short(row.get('error'))})")
    qualifier = row.get("all")
    if qualifier == "+all":
        gaps_ja.append("末尾が +all のため、あらゆる送信元を正規として認めています")
        gaps_en.append("it ends in +all, which authorises every sender on the Internet")
    elif qualifier == "?all":
        gaps_ja.append("末尾が ?all（中立）のため、リストにない送信元を拒否しません")
        gaps_en.append("it ends in ?all (neutral), so unlisted senders are not rejected")
    elif qualifier is None and broken_via != "redirect":  # a broken redirect target took the all with it
        gaps_ja.append("all機構がなく、リストにない送信元は中立扱いとなります（-all または ~all で終えてください）")
        gaps_en.append("it has no all mechanism, so unlisted senders are neutral (end it with -all or ~all)")
    if gaps_en:
        ctx.failed(
            domain,
            f"ドメイン {domain} のSPFレコードに問題があります: " + "。".join(gaps_ja) + "。",
            f"The SPF record of domain {domain} falls short: " + "; ".join(gaps_en) + ".",
            domain,
            **facts,
        )
        return
    via = f"（{row['all_from']} へのredirect経由）" if row.get("all_from") else ""
    via_en = f" (through redirect to {row['all_from']})" if row.get("all_from") else ""
    ctx.passed(
        domain,
        f"ドメイン {domain} のSPFレコードは有効で、DNS参照は{lookups}回（上限{SPF_MAX_LOOKUPS}回）、末尾は {qualifier}{via} です。",
        f"The SPF record of domain {domain} is valid, needs {lookups} DNS look-ups (limit {SPF_MAX_LOOKUPS}) and ends in {qualifier}{via_en}.",
        domain,
        **facts,
    )


# --- DMARC ------------------------------------------------------------------------------------


def _dmarc_unusable(ctx: CheckContext, row: dict[str, Any]) -> tuple[str, str] | None:
    """(ja, en) reason when there is no single valid DMARC record, else None."""
    domain = ctx.domain or ""
    name = row.get("name") or f"_dmarc.{domain}"
    if row.get("record_count", 0) > 1:
        return (
            f"{name} にDMARCレコードが{row['record_count']}件あります。複数のレコードがあると受信側はすべて無視するため、DMARCが機能しません",
            f"{name} holds {row['record_count']} DMARC records; receivers ignore them all, so DMARC does not work",
        )
    if not row.get("present"):
        note = f"（{_short(row['error'])}）" if row.get("error") else ""
        note_en = f" ({_short(row['error'])})" if row.get("error") else ""
        return (
            f"ドメイン {domain} にDMARCレコード（{name} のTXT「v=DMARC1; …」）がありません{note}",
            f'Domain {domain} publishes no DMARC record (TXT "v=DMARC1; …" at {name}){note_en}',
        )
    if row.get("valid") is False:
        return (
            f"ドメイン {domain} のDMARCレコードが不正です（{_short(row.get('error'))}）。受信側はこのレコードを無視します",
            f"The DMARC record of domain {domain} is malformed ({_short(row.get('error'))}); receivers ignore it",
        )
    return None


def _dmarc_facts(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("record", "record_count", "location", "inherited", "p", "sp", "pct", "rua", "ruf", "valid", "error")
    return {k: row.get(k) for k in keys}


@check("email_dmarc_policy", controls=[CONTROL], datasets=["dns.dmarc"], scope=DOMAIN_SCOPE)
def dmarc_policy(ctx: CheckContext) -> None:
    domain = ctx.domain or ""
    row = _one(ctx, "dns.dmarc")
    facts = _dmarc_facts(row)
    unusable = _dmarc_unusable(ctx, row)
    if unusable:
        ja, en = unusable
        ctx.failed(
            f"_dmarc.{domain}",
            ja + "。p=quarantine 以上のDMARCレコードを1件公開してください。",
            en + ". Publish one DMARC record with p=quarantine or p=reject.",
            domain,
            severity="high",
            **facts,
        )
        return
    inherited = bool(row.get("inherited"))
    location = row.get("location") or domain
    p, sp, pct = row.get("p"), row.get("sp"), row.get("pct")
    # A subdomain without its own record is governed by its organisational domain's sp.
    effective = sp if inherited else p
    source_ja = f"（組織ドメイン {location} のレコードを継承、サブドメインポリシー sp={sp} が適用）" if inherited else ""
    source_en = f" (inherited from organisational domain {location}, whose subdomain policy sp={sp} applies)" if inherited else ""
    gaps_ja: list[str] = []
    gaps_en: list[str] = []
    if _strength(effective) < _strength("quarantine"):
        gaps_ja.append(f"ポリシーが {effective}（監視のみ）のため、認証に失敗したなりすましメールも隔離・拒否されません")
        gaps_en.append(
            f"the policy is {effective} (monitoring only), so forged mail failing authentication is neither quarantined nor rejected"
        )
    if not inherited and _strength(sp) < _strength(p):
        gaps_ja.append(f"サブドメインポリシー sp={sp} が p={p} より弱く、サブドメインを騙るメールが素通りします")
        gaps_en.append(f"the subdomain policy sp={sp} is weaker than p={p}, so mail forging subdomains gets through")
    if isinstance(pct, int) and pct < 100:
        gaps_ja.append(f"pct={pct} のため、ポリシーは該当メールの{pct}%にしか適用されません")
        gaps_en.append(f"pct={pct} applies the policy to only {pct}% of the failing mail")
    if gaps_en:
        ctx.failed(
            f"_dmarc.{location}",
            f"ドメイン {domain} のDMARCポリシーが不十分です{source_ja}: " + "。".join(gaps_ja) + "。",
            f"The DMARC policy of domain {domain} is insufficient{source_en}: " + "; ".join(gaps_en) + ".",
            domain,
            severity="high" if _strength(effective) == 0 else "medium",
            **facts,
        )
        return
    pct_text = f"、pct={pct}" if row.get("pct_explicit") else ""
    ctx.passed(
        f"_dmarc.{location}",
        f"ドメイン {domain} のDMARCポリシーは p={p}、sp={sp}{pct_text} で、なりすましメールを{'拒否' if effective == 'reject' else '隔離'}します{source_ja}。",
        f"The DMARC policy of domain {domain} is p={p}, sp={sp}{pct_text.replace('、', ', ')}: forged mail is "
        f"{'rejected' if effective == 'reject' else 'quarantined'}{source_en}.",
        domain,
        **facts,
    )


@check("email_dmarc_reporting", controls=[CONTROL], datasets=["dns.dmarc"], scope=DOMAIN_SCOPE)
def dmarc_reporting(ctx: CheckContext) -> None:
    domain = ctx.domain or ""
    row = _one(ctx, "dns.dmarc")
    facts = _dmarc_facts(row)
    unusable = _dmarc_unusable(ctx, row)
    if unusable:
        ja, en = unusable
        ctx.failed(
            f"_dmarc.{domain}",
            ja + "。そのため集計レポート（rua）も届かず、なりすましの状況を把握できません。",
            en + ". Hence no aggregate (rua) reports arrive either, and spoofing of the domain goes unseen.",
            domain,
            **facts,
        )
        return
    rua = row.get("rua") or []
    location = row.get("location") or domain
    if not rua:
        ctx.failed(
            f"_dmarc.{location}",
            f"ドメイン {domain} のDMARCレコードに集計レポートの送付先（rua）がありません。なりすましや設定漏れの送信元を把握できません。",
            f"The DMARC record of domain {domain} requests no aggregate reports (no rua tag): spoofing and unauthenticated senders go unseen.",
            domain,
            **facts,
        )
        return
    shown = ", ".join(_short(u, 80) for u in rua)
    ctx.passed(
        f"_dmarc.{location}",
        f"ドメイン {domain} のDMARC集計レポートは {shown} に送付されます。",
        f"DMARC aggregate reports for domain {domain} go to {shown}.",
        domain,
        **facts,
    )


# --- DKIM -------------------------------------------------------------------------------------


@check("email_dkim", controls=[CONTROL], datasets=["dns.dkim"], scope=DOMAIN_SCOPE)
def dkim(ctx: CheckContext) -> None:
    domain = ctx.domain or ""
    rows = ctx.rows("dns.dkim", domain)
    if not rows:
        ctx.manual(
            domain,
            f"ドメイン {domain} のDKIMセレクタが指定されていないため、DKIM公開鍵を確認できません。送信サービスのセレクタをparamsファイルの dns.dkim_selectors に指定してください。",
            f"No DKIM selector is configured, so the DKIM keys of domain {domain} cannot be checked. List the sending services' selectors under dns.dkim_selectors in the params file.",
            domain,
        )
        return
    for row in rows:
        name = row.get("name") or f"{row.get('selector')}._domainkey.{domain}"
        selector = row.get("selector")
        facts = {
            k: row.get(k)
            for k in ("selector", "record", "canonical_name", "key_type", "key_bits", "revoked", "testing", "problems")
        }
        bits = row.get("key_bits")
        problems = list(row.get("problems") or [])
        if not row.get("present"):
            ctx.failed(
                name,
                f"ドメイン {domain} のDKIMセレクタ {selector} の公開鍵（{name} のTXT）がありません。このセレクタで署名したメールは検証できません。",
                f"Domain {domain} publishes no DKIM key for selector {selector} (TXT at {name}): mail signed with it cannot be verified.",
                domain,
                **facts,
            )
        elif row.get("revoked"):
            ctx.failed(
                name,
                f"ドメイン {domain} のDKIMセレクタ {selector} の公開鍵は空（p=）で、失効しています。このセレクタで署名したメールは検証に失敗します。",
                f"The DKIM key of domain {domain} for selector {selector} is empty (p=), i.e. revoked: mail signed with it fails verification.",
                domain,
                **facts,
            )
        elif problems:
            ctx.failed(
                name,
                f"ドメイン {domain} のDKIMセレクタ {selector} のレコードが不正です（{_short('; '.join(problems))}）。",
                f"The DKIM record of domain {domain} for selector {selector} is malformed ({_short('; '.join(problems))}).",
                domain,
                **facts,
            )
        elif row.get("key_type") == "rsa" and isinstance(bits, int) and bits < DKIM_MIN_BITS:
            ctx.failed(
                name,
                f"ドメイン {domain} のDKIMセレクタ {selector} のRSA鍵長は{bits}ビットで、{DKIM_MIN_BITS}ビット未満です。"
                f"解読されるおそれがあり受信側も拒否します。{DKIM_RECOMMENDED_BITS}ビットの鍵に交換してください。",
                f"The DKIM key of domain {domain} for selector {selector} is {bits}-bit RSA, below {DKIM_MIN_BITS} bits: it can be broken "
                f"and receivers reject it. Replace it with a {DKIM_RECOMMENDED_BITS}-bit key.",
                domain,
                severity="high",
                **facts,
            )
        elif row.get("testing"):
            ctx.failed(
                name,
                f"ドメイン {domain} のDKIMセレクタ {selector} はテストモード（t=y）のため、受信側は署名を未署名と同様に扱います。",
                f"The DKIM key of domain {domain} for selector {selector} is in testing mode (t=y): receivers treat its signatures as absent.",
                domain,
                severity="low",
                **facts,
            )
        else:
            size = f"{bits}ビット" if bits else "長さ不明"
            size_en = f"{bits}-bit" if bits else "unknown-length"
            note = (
                f"（{DKIM_RECOMMENDED_BITS}ビットへの移行を推奨します）"
                if row.get("key_type") == "rsa" and isinstance(bits, int) and bits < DKIM_RECOMMENDED_BITS
                else ""
            )
            note_en = (
                f" ({DKIM_RECOMMENDED_BITS}-bit keys are recommended)"
                if row.get("key_type") == "rsa" and isinstance(bits, int) and bits < DKIM_RECOMMENDED_BITS
                else ""
            )
            ctx.passed(
                name,
                f"ドメイン {domain} のDKIMセレクタ {selector} に{str(row.get('key_type')).upper()} {size}の公開鍵があります{note}。",
                f"Domain {domain} publishes a {size_en} {str(row.get('key_type')).upper()} DKIM key for selector {selector}{note_en}.",
                domain,
                **facts,
            )


# --- MTA-STS and TLS-RPT (recommended, not required) ------------------------------------------


def _recommended_record(ctx: CheckContext, dataset: str, what_ja: str, what_en: str, advice_ja: str, advice_en: str) -> None:
    domain = ctx.domain or ""
    row = _one(ctx, dataset)
    name = row.get("name") or domain
    facts = {k: row.get(k) for k in ("record", "record_count", "problems")}
    if not row.get("present"):
        ctx.manual(
            name,
            f"ドメイン {domain} に{what_ja}（{name} のTXT）がありません。ガイドラインの必須事項ではありませんが、{advice_ja}",
            f"Domain {domain} publishes no {what_en} record (TXT at {name}). The guideline does not require it, but {advice_en}",
            domain,
            **facts,
        )
        return
    problems = row.get("problems") or []
    if problems:
        ctx.failed(
            name,
            f"ドメイン {domain} の{what_ja}（{name}）が不正で、効果がありません（{_short('; '.join(problems))}）。",
            f"The {what_en} record of domain {domain} ({name}) is malformed and has no effect ({_short('; '.join(problems))}).",
            domain,
            severity="low",
            **facts,
        )
        return
    ctx.passed(
        name,
        f"ドメイン {domain} は{what_ja}を公開しています（{name}）。",
        f"Domain {domain} publishes {_article(what_en)} {what_en} record ({name}).",
        domain,
        **facts,
    )


@check("email_mta_sts", controls=[CONTROL], datasets=["dns.mta_sts"], scope=DOMAIN_SCOPE)
def mta_sts(ctx: CheckContext) -> None:
    _recommended_record(
        ctx,
        "dns.mta_sts",
        "MTA-STSのレコード",
        "MTA-STS",
        "受信メールのTLS暗号化を強制し盗聴・改ざんを防ぐため、MTA-STS（DNSレコードとHTTPSのポリシーファイル）の導入を検討してください。",
        "consider MTA-STS (a DNS record plus an HTTPS policy file) so that senders must use TLS and mail cannot be intercepted or downgraded.",
    )


@check("email_tls_rpt", controls=[CONTROL], datasets=["dns.tls_rpt"], scope=DOMAIN_SCOPE)
def tls_rpt(ctx: CheckContext) -> None:
    _recommended_record(
        ctx,
        "dns.tls_rpt",
        "TLS-RPT（SMTP TLSレポート）のレコード",
        "SMTP TLS reporting (TLS-RPT)",
        "受信時のTLS接続の失敗を把握するため、TLS-RPTの導入を検討してください。",
        "consider TLS-RPT so that failures of TLS delivery to the domain are reported to you.",
    )


# --- Amazon SES (account scope) ---------------------------------------------------------------


def _ses_identities(ctx: CheckContext) -> list[tuple[str, dict[str, Any]]]:
    """(region, identity row) for every region; a region whose evidence is missing gets an error finding."""
    found: list[tuple[str, dict[str, Any]]] = []
    for region, rows in ctx.regional_rows("ses.identities"):
        found.extend((region, row) for row in rows)
    return found


def _ses_verified(ctx: CheckContext, check_ja: str, check_en: str) -> list[tuple[str, dict[str, Any]]]:
    """Verified identities; unverified ones cannot send, so they are not applicable."""
    identities = _ses_identities(ctx)
    if not identities and not ctx.findings:
        ctx.not_applicable(
            "SES",
            f"Amazon SESのID（送信ドメイン・アドレス）はありません。{check_ja}の対象外です。",
            f"There are no Amazon SES identities (sending domains or addresses); {check_en} does not apply.",
        )
    verified = []
    for region, row in identities:
        identity = row.get("identity")
        if row.get("verification_status") != "Success":
            ctx.not_applicable(
                identity,
                f"SESのID {identity}（{region}）は未検証（{row.get('verification_status')}）のため送信に使えず、{check_ja}の対象外です。",
                f"SES identity {identity} ({region}) is not verified ({row.get('verification_status')}), cannot send, and {check_en} does not apply.",
                region,
            )
            continue
        verified.append((region, row))
    return verified


@check("ses_dkim", controls=[CONTROL], datasets=["ses.identities"])
def ses_dkim(ctx: CheckContext) -> None:
    for region, row in _ses_verified(ctx, "DKIM署名の確認", "the DKIM check"):
        identity = row["identity"]
        facts = {k: row.get(k) for k in ("identity_type", "dkim_enabled", "dkim_verification_status", "dkim_token_count")}
        status = row.get("dkim_verification_status")
        if row.get("dkim_enabled") and status == "Success":
            ctx.passed(
                identity,
                f"SESのID {identity}（{region}）はDKIM署名が有効で、DKIMの検証が完了しています。",
                f"SES identity {identity} ({region}) signs with DKIM, and its DKIM setup is verified.",
                region,
                **facts,
            )
        elif not row.get("dkim_enabled"):
            ctx.failed(
                identity,
                f"SESのID {identity}（{region}）はDKIM署名が無効です。送信メールにDKIM署名が付かず、DMARCの認証をSPFのみに頼ることになります。",
                f"SES identity {identity} ({region}) has DKIM signing disabled: its mail carries no DKIM signature and DMARC relies on SPF alone.",
                region,
                **facts,
            )
        else:
            ctx.failed(
                identity,
                f"SESのID {identity}（{region}）はDKIMの検証が完了していません（状態: {status}）。DNSにDKIMのCNAMEレコードを登録してください。",
                f"SES identity {identity} ({region}) has DKIM enabled but not verified (status: {status}); publish its DKIM CNAME records in DNS.",
                region,
                **facts,
            )


@check("ses_custom_mail_from", controls=[CONTROL], datasets=["ses.identities"])
def ses_custom_mail_from(ctx: CheckContext) -> None:
    for region, row in _ses_verified(ctx, "カスタムMAIL FROMドメインの確認", "the custom MAIL FROM check"):
        identity = row["identity"]
        facts = {k: row.get(k) for k in ("identity_type", "mail_from_domain", "mail_from_status", "behavior_on_mx_failure")}
        mail_from = row.get("mail_from_domain")
        status = row.get("mail_from_status")
        if mail_from and status == "Success":
            ctx.passed(
                identity,
                f"SESのID {identity}（{region}）はカスタムMAIL FROMドメイン {mail_from} を使用しており、SPFがDMARCに整合します。",
                f"SES identity {identity} ({region}) uses the custom MAIL FROM domain {mail_from}, so SPF aligns for DMARC.",
                region,
                **facts,
            )
        elif mail_from:
            ctx.failed(
                identity,
                f"SESのID {identity}（{region}）のカスタムMAIL FROMドメイン {mail_from} が検証されていません（状態: {status}）。MXとSPFのDNSレコードを確認してください。",
                f"The custom MAIL FROM domain {mail_from} of SES identity {identity} ({region}) is not verified (status: {status}); check its MX and SPF records.",
                region,
                **facts,
            )
        else:
            ctx.failed(
                identity,
                f"SESのID {identity}（{region}）はカスタムMAIL FROMドメインを設定していません。エンベロープ送信者がamazonses.comとなり、SPFがDMARCに整合しません。",
                f"SES identity {identity} ({region}) has no custom MAIL FROM domain: the envelope sender is amazonses.com, so SPF does not align for DMARC.",
                region,
                **facts,
            )
