"""The webhook URL policy (SSRF), pinned connections, redirects, retries and signatures."""

from __future__ import annotations

import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import trustme

from plot_palette.notifications.webhook import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    Target,
    UrlPolicy,
    WebhookRefusedError,
    WebhookSender,
    networks,
    refusal,
    sign,
    static_resolver,
    verify_signature,
)

PUBLIC = "93.184.215.14"


def policy_for(*addresses: str, host: str = "hooks.example.com") -> UrlPolicy:
    return UrlPolicy(resolver=static_resolver({host: addresses}))


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://10.255.255.254/hook",
        "https://172.16.0.1/hook",
        "https://172.31.255.1/hook",
        "https://192.168.1.10/hook",
        "https://127.0.0.1/hook",
        "https://127.1/hook",
        "https://2130706433/hook",
        "https://0x7f000001/hook",
        "https://[::1]/hook",
        "https://localhost/hook",
        "https://169.254.10.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[fc00::1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::]/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
    ],
)
def test_addresses_that_are_not_public_are_refused_after_real_resolution(url: str) -> None:
    # Numeric hosts (and localhost) resolve without DNS: this is socket.getaddrinfo itself.
    with pytest.raises(WebhookRefusedError, match=r"public addresses only|does not resolve"):
        UrlPolicy().check(url)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("::ffff:10.0.0.1", "IPv4-mapped"),
        ("10.1.2.3", "private"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("169.254.1.1", "link-local"),
        ("fc00::1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("239.1.1.1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("2002:a00:1::", "tunnel"),
        ("64:ff9b::a00:1", "NAT64 address of 10.0.0.1, a private address"),
        ("64:ff9b::7f00:1", "NAT64 address of 127.0.0.1, a loopback address"),
        ("64:ff9b::a9fe:a9fe", "NAT64 address of 169.254.169.254, a cloud metadata address"),
        ("64:ff9b::6440:1", "NAT64 address of 100.64.0.1, a carrier-grade NAT address"),
        # public IPv4 behind NAT64 is refused too (see ``nat64_refusal`` for why)
        ("64:ff9b::808:808", "NAT64 address (64:ff9b::/96) of 8.8.8.8"),
        ("64:ff9b:1::a00:1", "local-use NAT64"),
        ("64:ff9b:1::808:808", "local-use NAT64"),
    ],
)
def test_each_kind_of_address_is_refused_for_its_reason(address: str, reason: str) -> None:
    found = refusal(ipaddress.ip_address(address))
    assert found is not None
    assert reason in found


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None
    target = policy_for(address).check("https://hooks.example.com:8443/in?x=1")
    assert (target.host, target.port, target.path, target.address) == (
        "hooks.example.com",
        8443,
        "/in?x=1",
        address,
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/hook", "https://"),
        ("ftp://hooks.example.com/hook", "https://"),
        ("https:///hook", "no host"),
        ("https://user:pw@hooks.example.com/hook", "user name or password"),
        ("https://hooks.example.com:99999/hook", "not a valid URL"),
        ("https://unknown.example.com/hook", "does not resolve"),
        ("https://hooks.example.com/" + "a" * 3000, "longer than"),
    ],
)
def test_urls_that_are_not_https_to_a_resolvable_host_are_refused(url: str, message: str) -> None:
    with pytest.raises(WebhookRefusedError, match=message):
        policy_for(PUBLIC).check(url)


def test_a_name_resolving_to_a_nat64_address_is_refused_naming_the_ipv4_address() -> None:
    with pytest.raises(WebhookRefusedError, match=r"64:ff9b::a9fe:a9fe, which is a NAT64 address"):
        policy_for("64:ff9b::a9fe:a9fe").check("https://hooks.example.com/hook")


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    with pytest.raises(WebhookRefusedError, match=r"10\.0\.0\.7"):
        policy_for(PUBLIC, "10.0.0.7").check("https://hooks.example.com/hook")


def test_allowed_networks_admit_a_local_receiver_only_when_given() -> None:
    resolver = static_resolver({"receiver.test": ["127.0.0.1"]})
    with pytest.raises(WebhookRefusedError):
        UrlPolicy(resolver=resolver).check("https://receiver.test/hook")
    allowed = UrlPolicy(resolver=resolver, allowed_networks=networks("127.0.0.1/32"))
    assert allowed.check("https://receiver.test/hook").address == "127.0.0.1"


class Recorder:
    """A fake transport: records where each post went and answers from a script."""

    def __init__(self, *answers: tuple[int, str | None] | Exception) -> None:
        self.answers = list(answers)
        self.posts: list[tuple[Target, bytes, dict[str, str]]] = []
        self.deadlines: list[float] = []

    def __call__(
        self, target: Target, body: bytes, headers: dict[str, str], deadline: float
    ) -> tuple[int, str | None]:
        self.posts.append((target, body, headers))
        self.deadlines.append(deadline)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def sender(policy: UrlPolicy, post: Recorder, sleeps: list[float]) -> WebhookSender:
    return WebhookSender(policy=policy, post=post, sleep=sleeps.append, clock=lambda: 1_700_000_000)


class Rebinding:
    """A resolver that answers a public address first and a private one afterwards."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        self.calls += 1
        address = PUBLIC if self.calls == 1 else "10.0.0.5"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def test_dns_rebinding_the_connection_goes_to_the_address_that_was_checked() -> None:
    rebinding = Rebinding()
    post = Recorder((204, None))
    delivery = sender(UrlPolicy(resolver=rebinding), post, []).send(
        "https://rebind.example.com/hook", "secret", "event-1", b"{}"
    )
    assert delivery.delivered
    assert rebinding.calls == 1
    target = post.posts[0][0]
    assert (target.address, target.host) == (PUBLIC, "rebind.example.com")


def test_a_redirect_to_a_private_address_is_refused_and_not_followed() -> None:
    resolver = static_resolver({"hooks.example.com": [PUBLIC], "inside.example.com": ["10.0.0.9"]})
    post = Recorder((302, "https://inside.example.com/steal"))
    delivery = sender(UrlPolicy(resolver=resolver), post, []).send(
        "https://hooks.example.com/hook", "secret", "event-1", b"{}"
    )
    assert not delivery.delivered
    assert "10.0.0.9" in (delivery.error or "")
    assert len(post.posts) == 1


@pytest.mark.parametrize("location", ["http://hooks.example.com/plain", "https://127.0.0.1/x"])
def test_redirects_to_http_or_loopback_are_refused(location: str) -> None:
    post = Recorder((307, location))
    delivery = sender(policy_for(PUBLIC), post, []).send(
        "https://hooks.example.com/hook", "secret", "event-1", b"{}"
    )
    assert not delivery.delivered
    assert len(post.posts) == 1


def test_three_redirects_are_followed_and_a_fourth_is_refused() -> None:
    hops = [(308, f"/hop{index}") for index in range(1, 4)]
    followed = Recorder(*hops, (200, None))
    assert (
        sender(policy_for(PUBLIC), followed, [])
        .send("https://hooks.example.com/hook", "s", "e", b"{}")
        .delivered
    )
    assert [post[0].path for post in followed.posts] == ["/hook", "/hop1", "/hop2", "/hop3"]

    too_long = Recorder(*hops, (308, "/hop4"))
    delivery = sender(policy_for(PUBLIC), too_long, []).send(
        "https://hooks.example.com/hook", "s", "e", b"{}"
    )
    assert not delivery.delivered
    assert "more than 3 times" in (delivery.error or "")
    assert len(too_long.posts) == 4


class SlowHops(Recorder):
    """Redirects every time, each hop taking ``seconds`` of a fake monotonic clock."""

    def __init__(self, seconds: float) -> None:
        super().__init__(*[(307, f"/hop{index}") for index in range(1, 10)])
        self.now = 1000.0
        self.seconds = seconds

    def __call__(
        self, target: Target, body: bytes, headers: dict[str, str], deadline: float
    ) -> tuple[int, str | None]:
        self.now += self.seconds
        return super().__call__(target, body, headers, deadline)


def test_one_deadline_covers_every_redirect_hop_of_an_attempt() -> None:
    # 4 s per hop: hops start at 0, 4 and 8 s; at 12 s the attempt's 10 s are gone, so the
    # fourth hop (which a per-hop timeout would allow) is never made.
    hops = SlowHops(4.0)
    sleeps: list[float] = []
    webhooks = WebhookSender(
        policy=policy_for(PUBLIC), post=hops, sleep=sleeps.append, monotonic=lambda: hops.now
    )
    webhooks.attempts = 2
    delivery = webhooks.send("https://hooks.example.com/hook", "s", "e", b"{}")
    assert (delivery.delivered, delivery.attempts) == (False, 2)
    assert "TimeoutError" in (delivery.error or "")
    assert len(hops.posts) == 6  # three hops per attempt
    assert hops.deadlines == [1010.0] * 3 + [1022.0] * 3  # a fresh deadline per attempt
    assert sleeps == [1.0]


def test_5xx_and_timeouts_are_retried_with_exponential_backoff() -> None:
    sleeps: list[float] = []
    post = Recorder((503, None), TimeoutError(), (500, None), (200, None))
    delivery = sender(policy_for(PUBLIC), post, sleeps).send(
        "https://hooks.example.com/hook", "s", "event-7", b"{}"
    )
    assert delivery.delivered
    assert delivery.attempts == 4
    assert sleeps == [1.0, 2.0, 4.0]
    assert {post[2][EVENT_ID_HEADER] for post in post.posts} == {"event-7"}


def test_retries_stop_after_the_last_attempt() -> None:
    sleeps: list[float] = []
    post = Recorder(*[(502, None)] * 4)
    delivery = sender(policy_for(PUBLIC), post, sleeps).send(
        "https://hooks.example.com/hook", "s", "e", b"{}"
    )
    assert (delivery.delivered, delivery.status, delivery.attempts) == (False, 502, 4)
    assert sleeps == [1.0, 2.0, 4.0]


def test_4xx_is_not_retried() -> None:
    sleeps: list[float] = []
    post = Recorder((410, None))
    delivery = sender(policy_for(PUBLIC), post, sleeps).send(
        "https://hooks.example.com/hook", "s", "e", b"{}"
    )
    assert (delivery.delivered, delivery.status, delivery.attempts) == (False, 410, 1)
    assert sleeps == []


def test_the_signature_verifies_and_tampering_or_replay_fails() -> None:
    body = b'{"id":"e","type":"job.completed"}'
    post = Recorder((200, None))
    sender(policy_for(PUBLIC), post, []).send("https://hooks.example.com/h", "whsec_1", "e", body)
    header = post.posts[0][2][SIGNATURE_HEADER]
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature("whsec_1", header, body, now=1_700_000_010)
    assert not verify_signature("whsec_2", header, body, now=1_700_000_010)
    assert not verify_signature("whsec_1", header, body + b" ", now=1_700_000_010)
    assert not verify_signature("whsec_1", header, body, now=1_700_000_000 + 3600)
    assert not verify_signature("whsec_1", "v1=abc", body, now=1_700_000_000)
    assert sign("k", b"x", 5) == sign("k", b"x", 5)


# -- the real pinned HTTPS connection, against a local receiver with a trustme certificate ----


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def serve_tls(
    authority: trustme.CA, handler: type[http.server.BaseHTTPRequestHandler]
) -> http.server.ThreadingHTTPServer:
    """A local HTTPS server for receiver.test and rebind.test, serving in a daemon thread."""
    certificate = authority.issue_cert("receiver.test", "rebind.test")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def client_context(authority: trustme.CA) -> ssl.SSLContext:
    client = ssl.create_default_context()
    authority.configure_trust(client)
    return client


@pytest.fixture(scope="module")
def receiver(
    authority: trustme.CA,
) -> Iterator[tuple[int, list[dict[str, Any]], ssl.SSLContext]]:
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(
                {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = serve_tls(authority, Handler)
    yield server.server_address[1], received, client_context(authority)
    server.shutdown()


def test_a_real_delivery_is_pinned_verified_and_signed(
    receiver: tuple[int, list[dict[str, Any]], ssl.SSLContext],
) -> None:
    port, received, client = receiver
    calls: list[str] = []

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        address = "127.0.0.1" if len(calls) == 1 else "10.0.0.5"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    policy = UrlPolicy(resolver=rebinding, allowed_networks=networks("127.0.0.1/32"))
    webhooks = WebhookSender(policy=policy, context=client, sleep=lambda _: None)
    body = json.dumps({"hello": "world"}).encode()
    delivery = webhooks.send(f"https://rebind.test:{port}/in", "whsec_x", "event-9", body)
    assert delivery.delivered, delivery.error
    assert calls == ["rebind.test"]
    request = received[-1]
    assert request["path"] == "/in"
    assert request["headers"]["Host"] == f"rebind.test:{port}"
    assert request["body"] == body
    assert verify_signature("whsec_x", request["headers"][SIGNATURE_HEADER], body)


def test_a_certificate_for_another_name_is_refused(
    receiver: tuple[int, list[dict[str, Any]], ssl.SSLContext],
) -> None:
    port, _, client = receiver
    policy = UrlPolicy(
        resolver=static_resolver({"other.test": ["127.0.0.1"]}),
        allowed_networks=networks("127.0.0.1/32"),
    )
    sleeps: list[float] = []
    webhooks = WebhookSender(policy=policy, context=client, sleep=sleeps.append, attempts=2)
    delivery = webhooks.send(f"https://other.test:{port}/in", "s", "e", b"{}")
    assert not delivery.delivered
    assert "SSLCertVerificationError" in (delivery.error or "")


# A whole answer that would arrive, one byte every TRICKLE_SECONDS, after about 37 s: a
# per-read timeout never fires (each byte restarts it); only a total deadline ends the attempt.
TRICKLE_SECONDS = 0.2
TRICKLED_ANSWER = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 150 + b"\r\nContent-Length: 0\r\n\r\n"


@dataclass
class Trickled:
    port: int
    sent: list[int]  # per request: how many bytes of the answer went out before the client left


@pytest.fixture(scope="module")
def trickler(authority: trustme.CA) -> Iterator[Trickled]:
    sent: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            count = 0
            try:
                for byte in TRICKLED_ANSWER:
                    self.wfile.write(bytes([byte]))
                    count += 1
                    time.sleep(TRICKLE_SECONDS)
            except OSError:
                pass  # the client closed the connection
            sent.append(count)
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    server = serve_tls(authority, Handler)
    yield Trickled(server.server_address[1], sent)
    server.shutdown()


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_attempt_deadline(
    authority: trustme.CA, trickler: Trickled
) -> None:
    policy = UrlPolicy(
        resolver=static_resolver({"receiver.test": ["127.0.0.1"]}),
        allowed_networks=networks("127.0.0.1/32"),
    )
    webhooks = WebhookSender(
        policy=policy, context=client_context(authority), attempts=1, attempt_timeout=1.0
    )
    started = time.monotonic()
    delivery = webhooks.send(f"https://receiver.test:{trickler.port}/in", "s", "e", b"{}")
    elapsed = time.monotonic() - started
    assert (delivery.delivered, delivery.status, delivery.attempts) == (False, None, 1)
    assert "TimeoutError" in (delivery.error or "")
    # Ended by the 1 s deadline (with room for a loaded machine), not after the ~37 s answer.
    assert elapsed < 8, elapsed
    # The receiver saw the client leave long before the answer was out.
    wait_for_sent = time.monotonic() + 10
    while not trickler.sent and time.monotonic() < wait_for_sent:
        time.sleep(0.1)
    assert trickler.sent and trickler.sent[-1] < len(TRICKLED_ANSWER) // 2, trickler.sent
