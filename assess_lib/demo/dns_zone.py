"""An authoritative DNS server on 127.0.0.1 serving a zone from data (dnslib), and デモ銀行's zone.

Used by the demo command, the notebooks' demo mode and the tests; the pipeline only
sees a nameserver address. It answers over UDP and TCP on the same free port,
truncates UDP answers that do not fit (so resolvers retry over TCP, as with real
servers), answers NXDOMAIN for names it does not know and NOERROR/no data for names
that exist without the asked type. For tests it can also drop or SERVFAIL chosen names.

Every name is under ``.example.jp`` (reserved for documentation, never a real domain);
addresses are from the documentation ranges (RFC 5737).
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any
from collections.abc import Iterable

from dnslib import AAAA, CNAME, MX, NS, QTYPE, RCODE, RR, SOA, TXT, A, DNSRecord
from dnslib.server import DNSHandler, DNSServer

Record = tuple[str, str, Any]  # (name, type, value)

_TYPES = {"A": A, "AAAA": AAAA, "CNAME": CNAME, "NS": NS}


class _Drop(Exception):
    """Raised by the resolver to send no answer at all (a nameserver that swallows queries)."""


class _QuietLogger:
    """dnslib logs every query to stdout by default; the kit's output must stay clean."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class _Handler(DNSHandler):
    def handle(self) -> None:
        try:
            super().handle()
        except _Drop:
            pass
        except Exception:
            logging.getLogger(__name__).debug("demo DNS server: query not answered", exc_info=True)


def _txt_strings(value: Any) -> list[bytes]:
    """A TXT value: a string is split into 255-byte character-strings (as zone tools do);
    a list or tuple gives the character-strings explicitly."""
    if isinstance(value, (list, tuple)):
        return [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in value]
    data = str(value).encode("utf-8")
    return [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]


def _rdata(rtype: str, value: Any, apex: str) -> Any:
    if rtype == "TXT":
        return TXT(_txt_strings(value))
    if rtype == "MX":
        preference, host = value if isinstance(value, (list, tuple)) else (10, value)
        return MX(host, int(preference))
    if rtype == "SOA":
        return SOA(f"ns1.{apex}", f"hostmaster.{apex}", (2025070401, 3600, 600, 86400, 300))
    if rtype in _TYPES:
        return _TYPES[rtype](value)
    raise ValueError(f"unsupported record type {rtype}")


class ZoneResolver:
    """Answers from a list of records, authoritative for every name under a SOA apex."""

    def __init__(self, records: Iterable[Record], drop: Iterable[str] = (), servfail: Iterable[str] = (), ttl: int = 300) -> None:
        self.ttl = ttl
        self.names: dict[str, list[tuple[str, Any]]] = {}
        for name, rtype, value in records:
            self.names.setdefault(name.rstrip(".").lower(), []).append((rtype.upper(), value))
        self.apexes = {n for n, entries in self.names.items() if any(t == "SOA" for t, _ in entries)}
        # Names that exist only as parents of others (e.g. _domainkey.x) answer NOERROR, not NXDOMAIN.
        self.existing = set(self.names)
        for name in self.names:
            labels = name.split(".")
            for i in range(1, len(labels)):
                parent = ".".join(labels[i:])
                if any(parent == apex or parent.endswith("." + apex) for apex in self.apexes):
                    self.existing.add(parent)
        self.drop = {n.rstrip(".").lower() for n in drop}
        self.servfail = {n.rstrip(".").lower() for n in servfail}
        self.log: list[tuple[str, str, str]] = []  # (name, type, udp|tcp) of every query, for tests
        self._lock = threading.Lock()

    def _apex(self, name: str) -> str:
        matches = [a for a in self.apexes if name == a or name.endswith("." + a)]
        return max(matches, key=len) if matches else name

    @staticmethod
    def _under(name: str, names: set[str]) -> bool:
        return any(name == n or name.endswith("." + n) for n in names)

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE.get(request.q.qtype, str(request.q.qtype))
        protocol = getattr(handler, "protocol", "udp")
        with self._lock:
            self.log.append((qname, qtype, protocol))
        if self._under(qname, self.drop):
            raise _Drop()
        reply = request.reply()
        if self._under(qname, self.servfail):
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        if qname not in self.existing:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        name = qname
        for _ in range(8):  # follow CNAMEs inside the zone
            entries = self.names.get(name, [])
            cnames = [v for t, v in entries if t == "CNAME"]
            if cnames and qtype != "CNAME":
                target = str(cnames[0]).rstrip(".").lower()
                reply.add_answer(RR(name, QTYPE.CNAME, ttl=self.ttl, rdata=CNAME(target)))
                name = target
                continue
            for rtype, value in entries:
                if rtype == qtype or qtype == "ANY":
                    reply.add_answer(RR(name, getattr(QTYPE, rtype), ttl=self.ttl, rdata=_rdata(rtype, value, self._apex(name))))
            break
        if protocol == "udp":
            limit = 512
            for rr in request.ar:
                if rr.rtype == QTYPE.OPT:
                    limit = max(limit, int(rr.rclass))  # EDNS0: the client's UDP payload size
            if len(reply.pack()) > limit:
                truncated = request.reply()
                truncated.header.tc = 1  # the client retries over TCP
                return truncated
        return reply


def _free_port_pair() -> tuple[Any, Any, int]:
    """UDP and TCP dnslib servers on the same free port of 127.0.0.1."""
    last: OSError | None = None
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        try:
            udp = DNSServer(None, address="127.0.0.1", port=port, logger=_QuietLogger(), handler=_Handler)
        except OSError as err:
            last = err
            continue
        try:
            tcp = DNSServer(None, address="127.0.0.1", port=port, tcp=True, logger=_QuietLogger(), handler=_Handler)
        except OSError as err:
            udp.server.server_close()
            last = err
            continue
        return udp, tcp, port
    raise OSError(f"no free port for the DNS server on 127.0.0.1: {last}")


class ZoneServer:
    """The zone served on ``127.0.0.1:<free port>`` (UDP and TCP) until :meth:`stop`.

    ``drop``: names (and everything under them) that get no answer; ``servfail``: names that get
    SERVFAIL. ``nameserver`` is the ``"127.0.0.1:PORT"`` to put in ``dns.nameservers``.
    """

    def __init__(self, records: Iterable[Record], drop: Iterable[str] = (), servfail: Iterable[str] = ()) -> None:
        self.resolver = ZoneResolver(records, drop, servfail)
        self.port = 0
        self._servers: list[Any] = []
        self._threads: list[threading.Thread] = []

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> list[tuple[str, str, str]]:
        return self.resolver.log

    def start(self) -> ZoneServer:
        udp, tcp, self.port = _free_port_pair()
        for server in (udp, tcp):
            server.server.resolver = self.resolver
            thread = threading.Thread(
                target=server.server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"demo-dns-{self.port}", daemon=True
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.server.shutdown()
            server.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> ZoneServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- デモ銀行's zone --------------------------------------------------------------------------

# Public keys only (no private key exists anywhere): 2048-bit, 1024-bit and a weak 512-bit RSA key.
DKIM_RSA_2048 = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA8+ez3/n2lGYZoFoMrgDaT4G4q2CfduxK7qADCLWp07BD7IW6dS79SFHG2pijuCTwXc40kVqimctPC8dr"
    "v9DgoWZDnRZtJ/LR6u+F6ULzz1PRH3FjEikvhA25gDf+k3zGmtvs00izXNftup4KBXzDuloVlce+N/t3vOyGgygjFCFfAUeUfjJbLW9ixj1XJFwcQbF/Nv/PbJ/I"
    "W0TgByaqBpc9ISM/E+6zOxmN+8BMBUMS0PjbtKj1MbZVP/gMuWwcbV6Uh1zwSVXNYlQM3PI2gj0U6zpB9N0Rs+0rYpRWEllrpvR14jwH8FBWYqO1qEEwTToZDP5i"
    "cPTJo92KzpUhiwIDAQAB"
)
DKIM_RSA_1024 = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7Kwk/ITE60kY9cNQHuzzO0aB0ivtkGQKFRGjZ+GWsBIw7g2AsPtmVrqMu+mjsZhgq0PjYH0/XXDiQ5B5u5ji6"
    "jWh6vcwUHHNX2kdG7UGn4dz4b1vF7FStW8Yh+8YObtRtCCfMCbAV2wyvNAB8dsGJOKKAxoM+2H+7ufiWDp6LtwIDAQAB"
)
DKIM_RSA_512 = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAPQbbJxNtYlsvLXqz7DmfoiczEev42+0fc8XtEqXFzSrDSfJ85wHb+LLIalipr6wiD6PAjShTG4CyLP5TmsjynUCAwEAAQ=="

DEMO_BANK = "demo-bank.example.jp"  # 本体: everything right
DEMO_CARD = "demo-bank-card.example.jp"  # カード子会社: +all, p=none, 1024-bit key, no MTA-STS/TLS-RPT
DEMO_NEWS = "demo-bank-news.example.jp"  # メールマガジン配信: too many SPF look-ups, no DMARC, 512-bit key
DEMO_DOMAINS = [DEMO_BANK, DEMO_CARD, DEMO_NEWS]


def _base(domain: str, address: str) -> list[Record]:
    """SOA, NS, MX and host addresses every demo domain has."""
    return [
        (domain, "SOA", None),
        (domain, "NS", f"ns1.{domain}"),
        (domain, "MX", (10, f"mail.{domain}")),
        (f"ns1.{domain}", "A", "192.0.2.53"),
        (f"mail.{domain}", "A", address),
    ]


def demo_zone() -> list[Record]:
    """デモ銀行's three mail domains, good and bad (what each shows is said next to it)."""
    records: list[Record] = []
    # --- demo-bank.example.jp: passes every check --------------------------------------------
    records += _base(DEMO_BANK, "192.0.2.25")
    records += [
        (DEMO_BANK, "TXT", f"v=spf1 include:_spf.{DEMO_BANK} -all"),
        (DEMO_BANK, "TXT", "demo-site-verification=not-a-real-token"),  # unrelated TXT, ignored
        (f"_spf.{DEMO_BANK}", "TXT", f"v=spf1 ip4:192.0.2.0/27 ip4:198.51.100.25 mx:{DEMO_BANK} -all"),
        (
            f"_dmarc.{DEMO_BANK}",
            "TXT",
            f"v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s; rua=mailto:dmarc-reports@{DEMO_BANK}; ruf=mailto:dmarc-forensic@{DEMO_BANK}",
        ),
        # 2048-bit key: 410 characters, served as two character-strings (longer than one 255-byte string).
        (f"selector1._domainkey.{DEMO_BANK}", "TXT", f"v=DKIM1; k=rsa; p={DKIM_RSA_2048}"),
        (f"_mta-sts.{DEMO_BANK}", "TXT", "v=STSv1; id=20250704T000000"),
        (f"mta-sts.{DEMO_BANK}", "A", "192.0.2.80"),
        (f"_smtp._tls.{DEMO_BANK}", "TXT", f"v=TLSRPTv1; rua=mailto:tls-reports@{DEMO_BANK}"),
        (f"bounce.{DEMO_BANK}", "MX", (10, "feedback-smtp.ap-northeast-1.amazonses.com")),  # SES custom MAIL FROM
        (f"bounce.{DEMO_BANK}", "TXT", "v=spf1 include:amazonses.com -all"),
    ]
    # --- demo-bank-card.example.jp: +all (fails SPF), p=none (fails DMARC policy, reports fine), bad MTA-STS/TLS-RPT
    records += _base(DEMO_CARD, "192.0.2.26")
    records += [
        (DEMO_CARD, "TXT", "v=spf1 ip4:192.0.2.26 +all"),
        (f"_dmarc.{DEMO_CARD}", "TXT", f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{DEMO_CARD}"),
        # 1024-bit key: passes, with the advice to move to 2048 bits. Hosted through a CNAME, as mail services do.
        (f"selector1._domainkey.{DEMO_CARD}", "CNAME", f"selector1.dkim.mailer.{DEMO_CARD}"),
        (f"selector1.dkim.mailer.{DEMO_CARD}", "TXT", f"v=DKIM1; k=rsa; p={DKIM_RSA_1024}"),
        # Malformed MTA-STS (an id with hyphens) and TLS-RPT (an ftp: destination): both fail.
        (f"_mta-sts.{DEMO_CARD}", "TXT", "v=STSv1; id=2025-07-04"),
        (f"_smtp._tls.{DEMO_CARD}", "TXT", f"v=TLSRPTv1; rua=ftp://reports.{DEMO_CARD}"),
    ]
    # --- demo-bank-news.example.jp: 12 SPF look-ups (fails), no DMARC (fails), 512-bit key (fails)
    records += _base(DEMO_NEWS, "192.0.2.27")
    vendors = ["mailer-a", "mailer-b", "mailer-c", "mailer-d"]
    records.append((DEMO_NEWS, "TXT", "v=spf1 " + " ".join(f"include:_spf.{v}.{DEMO_NEWS}" for v in vendors) + " ~all"))
    for i, vendor in enumerate(vendors):
        # Each include costs 1 look-up plus 2 for its a: mechanisms: 4 x 3 = 12 > 10.
        records.append(
            (f"_spf.{vendor}.{DEMO_NEWS}", "TXT", f"v=spf1 a:out1.{vendor}.{DEMO_NEWS} a:out2.{vendor}.{DEMO_NEWS} -all")
        )
        records.append((f"out1.{vendor}.{DEMO_NEWS}", "A", f"198.51.100.{10 + 2 * i}"))
        records.append((f"out2.{vendor}.{DEMO_NEWS}", "A", f"198.51.100.{11 + 2 * i}"))
    records.append((f"selector1._domainkey.{DEMO_NEWS}", "TXT", f"v=DKIM1; k=rsa; p={DKIM_RSA_512}"))
    return records


def demo_dns_server() -> ZoneServer:
    """デモ銀行's zone on a fresh server (not started: use it as a context manager)."""
    return ZoneServer(demo_zone())


__all__ = ["DEMO_DOMAINS", "Record", "ZoneResolver", "ZoneServer", "demo_dns_server", "demo_zone"]
