"""Webhook delivery that cannot be turned against our own network (SSRF), and its signature.

A webhook URL is the user's, so it may point anywhere: at the instance metadata service, at a
private service in the VPC, or at a name that resolves to a public address when checked and to a
private one a moment later (DNS rebinding). So:

- only ``https`` URLs are accepted;
- the host is resolved here (``getaddrinfo``) and every address it resolves to must be public:
  private, loopback, link-local, multicast, reserved, unspecified, CGNAT (100.64/10), IPv4-mapped
  or -translated IPv6, NAT64 (naming the IPv4 address inside) and the metadata addresses are
  refused;
- the connection goes to the address that was checked (pinned), with the original name for SNI,
  the ``Host`` header and certificate verification, so a second resolution cannot redirect it;
- redirects are followed here (at most ``MAX_REDIRECTS``), each target checked the same way;
- each attempt has one total deadline (``attempt_timeout``, 10 s): connecting, TLS, sending and
  reading the answer's status line and headers, over every redirect hop, all share it, so a
  receiver that trickles its answer a byte at a time cannot hold an attempt open (a per-socket
  timeout would restart with every byte). The answer's body is never read: the status decides.
  (Name resolution, ``getaddrinfo``, has no timeout of its own; the deadline is checked before
  it and again when connecting);
- 5xx answers and network errors (the deadline included) are retried with exponential backoff,
  4xx answers are not (the receiver refused the event).

Every delivery is signed: ``X-Plot-Palette-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>" with the user's secret>``, and carries ``X-Plot-Palette-Event-Id`` so a receiver
can drop a retried delivery it already processed (``verify_signature`` is the reference check).

Tests run a receiver on 127.0.0.1: they pass their own ``resolver`` and ``allowed_networks`` to
the constructors. Nothing in the environment can widen the policy.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from plot_palette.errors import PlotPaletteError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

SIGNATURE_HEADER = "X-Plot-Palette-Signature"
EVENT_ID_HEADER = "X-Plot-Palette-Event-Id"
MAX_REDIRECTS = 3
MAX_URL_LENGTH = 2048
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ATTEMPT_SECONDS = 10.0

# Addresses refused by name, whatever ``ipaddress`` says of them.
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CGNAT = ipaddress.ip_network("100.64.0.0/10")
# NAT64 (RFC 6052 well-known prefix, RFC 8215 local-use prefix): an IPv6 address that a
# translator turns into an IPv4 one, so the IPv4 address is the real destination.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")


class WebhookRefusedError(PlotPaletteError):
    """The webhook URL is not allowed (scheme, address) - the message says why."""


class WebhookDeliveryError(PlotPaletteError):
    """The receiver could not be reached or kept failing after the retries."""


def refusal(address: IPAddress) -> str | None:
    """Why an address may not receive webhooks, or ``None`` when it is a public address."""
    if address in METADATA_ADDRESSES:
        return "is a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        nat64 = nat64_refusal(address)
        if nat64 is not None:
            return nat64
        if address.ipv4_mapped is not None:
            return "is an IPv4-mapped IPv6 address"
        if address.sixtofour is not None or address.teredo is not None:
            return "is an IPv6 tunnel address"
    checks = (
        ("is_loopback", "is a loopback address"),
        ("is_link_local", "is a link-local address"),
        ("is_multicast", "is a multicast address"),
        ("is_unspecified", "is the unspecified address"),
        ("is_reserved", "is a reserved address"),
        ("is_private", "is a private address"),
    )
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "is a carrier-grade NAT address (100.64.0.0/10)"
    if not address.is_global:
        return "is not a public address"
    return None


def nat64_refusal(address: ipaddress.IPv6Address) -> str | None:
    """Why a NAT64 address is refused (every one is), naming the IPv4 address it stands for.

    ``ipaddress`` does not look inside these (it calls 64:ff9b::/96 global; only the
    reserved ::/8 range, by accident, refuses it), so they are handled first and by name. The
    embedded IPv4 address (the last 32 bits of a 64:ff9b::/96 address) gets the same check as a
    plain one, so a private, loopback or metadata target shows as what it is. A NAT64 address of
    a public IPv4 address is refused too: the notify and api functions run outside a VPC with no
    DNS64, so no receiver needs one (a name resolving to it was made to), the translator that
    would carry it is not ours to trust, and the receiver stays reachable at its IPv4 address.
    The local-use prefix is refused whole: where it embeds the IPv4 address is the operator's.
    """
    if address in NAT64_LOCAL_USE:
        return "is a local-use NAT64 address (64:ff9b:1::/48)"
    if address not in NAT64_WELL_KNOWN:
        return None
    embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    reason = refusal(embedded)
    if reason is None:
        return f"is a NAT64 address (64:ff9b::/96) of {embedded}"
    return f"is a NAT64 address of {embedded}, {reason.removeprefix('is ')}"


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to call the host."""

    url: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class UrlPolicy:
    """Checks a webhook URL: https, and every address its host resolves to is public.

    ``resolver`` (``socket.getaddrinfo``'s signature) and ``allowed_networks`` (addresses that are
    accepted even though they are not public) exist for tests that run a receiver locally.
    """

    resolver: Resolver = socket.getaddrinfo
    allowed_networks: tuple[IPNetwork, ...] = ()

    def check(self, url: str) -> Target:
        """The URL's target with the pinned address; ``WebhookRefusedError`` if not allowed."""
        if len(url) > MAX_URL_LENGTH:
            raise WebhookRefusedError(f"the webhook URL is longer than {MAX_URL_LENGTH} characters")
        try:
            parts = urlsplit(url)
            port = parts.port or 443
        except ValueError:
            raise WebhookRefusedError("the webhook URL is not a valid URL") from None
        if parts.scheme != "https":
            raise WebhookRefusedError("the webhook URL must start with https://")
        host = parts.hostname
        if not host:
            raise WebhookRefusedError("the webhook URL has no host")
        if parts.username is not None or parts.password is not None:
            raise WebhookRefusedError("the webhook URL must not carry a user name or password")
        addresses = self._resolve(host, port)
        for address in addresses:
            if any(address in network for network in self.allowed_networks):
                continue
            reason = refusal(address)
            if reason is not None:
                raise WebhookRefusedError(
                    f"the webhook host {host} resolves to {address}, which {reason}; "
                    "webhooks go to public addresses only"
                )
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return Target(url=url, host=host, port=port, path=path, address=str(addresses[0]))

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            answers = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise WebhookRefusedError(f"the webhook host {host} does not resolve") from None
        addresses: list[IPAddress] = []
        for answer in answers:
            text = str(answer[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
            address = ipaddress.ip_address(text)
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise WebhookRefusedError(f"the webhook host {host} does not resolve")
        return addresses


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = 300
) -> bool:
    """What a receiver does: recompute the HMAC and reject old timestamps (replays)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


class Response(Protocol):
    status: int

    def getheader(self, name: str, default: str | None = None) -> str | None: ...

    def read(self, amt: int | None = None) -> bytes: ...


def remaining(deadline: float, clock: Callable[[], float]) -> float:
    """Seconds left before ``deadline``; ``TimeoutError`` once it has passed."""
    left = deadline - clock()
    if left <= 0:
        raise TimeoutError("the webhook attempt ran out of time")
    return left


class _DeadlineReader(io.RawIOBase):
    """The answer's side of the TLS socket: every read may only use what is left of the deadline.

    ``http.client`` reads the status line and headers through many small reads; setting the
    socket's timeout to the time left before each one turns the per-read timeout into a total.
    """

    def __init__(self, sock: ssl.SSLSocket, deadline: float, clock: Callable[[], float]) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self._clock = clock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(remaining(self._deadline, self._clock))
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What ``http.client`` needs of a socket (send, ``makefile``, close), under one deadline."""

    def __init__(self, sock: ssl.SSLSocket, deadline: float, clock: Callable[[], float]) -> None:
        self._sock = sock
        self._deadline = deadline
        self._clock = clock

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._sock.settimeout(remaining(self._deadline, self._clock))
            view = view[self._sock.send(view) :]

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline, self._clock))

    def close(self) -> None:
        self._sock.close()


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed IP address, with the URL's host name for SNI, Host and the certificate.

    ``http.client`` would resolve ``host`` again when connecting; this connects to ``address``
    (the one the policy checked) instead, so DNS cannot change the destination afterwards.
    Connecting waits at most ``connect_timeout``; everything (the TLS handshake too) must be done
    by ``deadline`` (a ``clock`` reading).
    """

    def __init__(
        self,
        host: str,
        address: str,
        port: int,
        *,
        context: ssl.SSLContext,
        connect_timeout: float,
        deadline: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(host, port, context=context, timeout=connect_timeout)
        self._address = address
        self._tls = context
        self._connect_timeout = connect_timeout
        self._deadline = deadline
        self._clock = clock

    def connect(self) -> None:
        wait = min(self._connect_timeout, remaining(self._deadline, self._clock))
        raw = socket.create_connection((self._address, self.port), wait)
        try:
            # The handshake's timeout is a total for the whole handshake (``_ssl`` keeps a
            # deadline per call), so the time left bounds it.
            raw.settimeout(remaining(self._deadline, self._clock))
            tls = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        self.sock = _DeadlineSocket(tls, self._deadline, self._clock)


def _pinned_post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    deadline: float,
    *,
    context: ssl.SSLContext,
    connect_timeout: float,
    clock: Callable[[], float],
) -> tuple[int, str | None]:
    connection = PinnedHTTPSConnection(
        target.host,
        target.address,
        target.port,
        context=context,
        connect_timeout=connect_timeout,
        deadline=deadline,
        clock=clock,
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        # The body is not read: it is not used, and a slow one must not keep the attempt open.
        status, location = response.status, response.getheader("Location")
        response.close()
        return status, location
    finally:
        connection.close()


# A checked target, the body, the headers and the attempt's deadline (a ``monotonic`` reading)
# -> the answer's status and ``Location`` header.
Poster = Callable[[Target, bytes, dict[str, str], float], tuple[int, str | None]]


@dataclass(frozen=True)
class Delivery:
    """What happened to one webhook event."""

    delivered: bool
    status: int | None
    attempts: int
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
        }


@dataclass
class WebhookSender:
    """Signs and posts events through the policy, following redirects and retrying failures.

    ``post`` (see ``Poster``), ``sleep`` and ``monotonic`` are injectable so tests can see where
    connections go, retry without waiting and move time on. ``attempt_timeout`` is one attempt's
    total, redirects included; the worst case of a send is ``attempts`` of them plus the backoff.
    """

    policy: UrlPolicy = field(default_factory=UrlPolicy)
    context: ssl.SSLContext = field(default_factory=ssl.create_default_context)
    connect_timeout: float = 3.0
    attempt_timeout: float = ATTEMPT_SECONDS
    attempts: int = 4
    backoff_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    post: Poster | None = None

    def send(self, url: str, secret: str, event_id: str, body: bytes) -> Delivery:
        """Deliver one event; never raises for the receiver's failures, reports them."""
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                status = self._once(url, secret, event_id, body)
            except WebhookRefusedError as refused:
                return Delivery(False, None, attempt, str(refused))
            except (OSError, http.client.HTTPException) as failure:
                status, error = None, f"could not reach the receiver ({type(failure).__name__})"
            else:
                if 200 <= status < 300:
                    return Delivery(True, status, attempt)
                error = f"the receiver answered {status}"
                if status < 500:
                    return Delivery(False, status, attempt, error)
            if attempt < self.attempts:
                self.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        return Delivery(False, status, self.attempts, error)

    def _once(self, url: str, secret: str, event_id: str, body: bytes) -> int:
        """One attempt: sign now, then post, following up to ``MAX_REDIRECTS`` redirects, all
        before one deadline."""
        deadline = self.monotonic() + self.attempt_timeout
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "plot-palette-webhooks/1",
            EVENT_ID_HEADER: event_id,
            SIGNATURE_HEADER: sign(secret, body, int(self.clock())),
        }
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            remaining(deadline, self.monotonic)
            target = self.policy.check(current)
            status, location = self._post(target, body, headers, deadline)
            if status not in REDIRECT_STATUSES:
                return status
            if not location:
                return status
            current = urljoin(current, location)
        raise WebhookRefusedError(f"the webhook redirected more than {MAX_REDIRECTS} times")

    def _post(
        self, target: Target, body: bytes, headers: dict[str, str], deadline: float
    ) -> tuple[int, str | None]:
        if self.post is not None:
            return self.post(target, body, headers, deadline)
        return _pinned_post(
            target,
            body,
            headers,
            deadline,
            context=self.context,
            connect_timeout=self.connect_timeout,
            clock=self.monotonic,
        )


def networks(*cidrs: str) -> tuple[IPNetwork, ...]:
    """``allowed_networks`` from CIDR strings (tests)."""
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


def static_resolver(table: dict[str, Iterable[str]]) -> Resolver:
    """A resolver answering from a table (tests and fixed environments); others do not resolve."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in table[host]
        ]

    return resolve
