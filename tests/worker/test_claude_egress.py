"""The egress proxy on its unix socket, without a container.

Every name here is made up and resolved by ``MapResolver`` to loopback, where
a ``CountingServer`` counts connections: a refusal test whose check broke
fails on a counted connection (or a resolver call), and nothing ever leaves
the machine.
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.fixtures.fake_anthropic import FakeAnthropic, text
from tests.worker.egress_support import CountingServer, MapResolver, raw
from worker.egress import EgressProxy, ModelCredential

LOOP = ["127.0.0.1"]


@pytest.fixture
def api():
    server = FakeAnthropic([text("hi")]).start()
    yield server
    server.stop()


@pytest.fixture
def counter():
    """The one place every test name points: any connection to it is a leak."""
    server = CountingServer().start()
    yield server
    server.stop()


@pytest.fixture
def other():
    """A second counting server on another port (for port-rule tests)."""
    server = CountingServer().start()
    yield server
    server.stop()


NAMES = ("good.test", "evil.test", "example.org", "plain.test", "good.test.evil.test",
         "evilgood.test")


@pytest.fixture
def resolver():
    return MapResolver({name: LOOP for name in NAMES})


def _proxy(tmp_path, api, resolver, **kw):
    refused: list[dict] = []
    kw.setdefault("allow_private_resolution", True)
    proxy = EgressProxy(socket_path=tmp_path / "e.sock", model_url=api.url,
                        on_refused=refused.append, own_hosts=("127.0.0.1:8377",),
                        resolver=resolver,
                        **{"credential": ModelCredential("api_key", "real-key"), **kw}).start()
    return proxy, refused


def _client(tmp_path):
    return httpx.Client(transport=httpx.HTTPTransport(uds=str(tmp_path / "e.sock")), timeout=10)


def _get(target: str, host: str | None = None, method: str = "GET") -> str:
    host = host if host is not None else target.split("/")[2]
    return f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"


def _connect(authority: str, host: str | None = None) -> str:
    return f"CONNECT {authority} HTTP/1.1\r\nHost: {host or authority}\r\n\r\n"


BODY = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
        "tools": [{"name": "t"}]}


@pytest.mark.parametrize("kind,header,value", [
    ("api_key", "x-api-key", "real-key"), ("oauth_token", "authorization", "Bearer real-key")])
def test_model_requests_get_the_real_credential(tmp_path, api, resolver, kind, header, value):
    proxy, _ = _proxy(tmp_path, api, resolver, credential=ModelCredential(kind, "real-key"))
    try:
        with _client(tmp_path) as c:
            r = c.post("http://127.0.0.1:8377/v1/messages", json=BODY,
                       headers={"x-api-key": "placeholder", "authorization": "Bearer placeholder"})
        assert r.status_code == 200 and r.json()["content"][0]["text"] == "hi"
        seen = api.requests[-1].headers
        assert seen[header] == value
        assert "placeholder" not in str(seen)
        if kind == "oauth_token":
            assert "oauth-2025-04-20" in seen["anthropic-beta"] and "x-api-key" not in seen
    finally:
        proxy.stop()


def test_unlisted_hosts_refused_without_connecting(tmp_path, api, resolver, counter):
    p = counter.port
    proxy, refused = _proxy(tmp_path, api, resolver, allow_hosts=[f"good.test:{p}"])
    sock = tmp_path / "e.sock"
    try:
        requests = (_get(f"http://example.org:{p}/x"), _connect(f"evil.test:{p}"),
                    _get(f"http://good.test.evil.test:{p}/"), _connect(f"evilgood.test:{p}"))
        answers = [raw(sock, request, timeout=3) for request in requests]
        # First the leak check: a broken allow-list shows here, as a connection.
        assert counter.connections == 0 and resolver.calls == []
        assert all(a.startswith(b"HTTP/1.1 403") for a in answers), answers
        assert [r["host"] for r in refused] == [
            "example.org", "evil.test", "good.test.evil.test", "evilgood.test"]
        assert api.seen == []
        # The control: the listed name reaches the very server the others would have.
        assert raw(sock, _get(f"http://good.test:{p}/")).startswith(b"HTTP/1.1 200")
        assert counter.connections == 1
    finally:
        proxy.stop()


def _tricks(p: int, q: int) -> list[str]:
    """Requests that try to reach something but the listed good.test:{p}."""
    return [
        _get(f"http://good.test:{p}@evil.test:{p}/", host=f"evil.test:{p}"),   # userinfo
        _get(f"http://good.test:{p}@evil.test:{p}/", host=f"good.test:{p}"),
        _connect(f"good.test:{p}@evil.test:{p}", host=f"good.test:{p}"),
        _get(f"http://evil.test:{p}#@good.test:{p}/", host=f"good.test:{p}"),   # fragment
        _get(f"http://evil.test:{p}\\@good.test:{p}/", host=f"good.test:{p}"),  # backslash
        _get(f"http://good.test:{p}/", host=f"evil.test:{p}"),                  # Host mismatch
        _connect(f"good.test:{p}", host=f"evil.test:{p}"),                      # CONNECT vs Host
        _get(f"http://127.0.0.1:{p}/"),                                         # IP literal
        _connect(f"127.0.0.1:{p}"),
        _connect(f"[::ffff:127.0.0.1]:{p}"),
        _get(f"http://2130706433:{p}/"),                                        # numeric host
        _get(f"http://good.test:{q}/"),                                         # other port
        _connect(f"good.test:{q}"),
        _connect(f"plain.test:{p}"),             # listed without a port: only 80/443
        _get(f"http://good%2etest:{p}/"),                                       # percent
        _get(f"https://good.test:{p}/"),         # absolute https: only through CONNECT
        f"GET /x HTTP/1.1\r\nHost: good.test:{p}\r\n\r\n",     # origin-form, not the bridge
    ]


@pytest.mark.parametrize("index", range(len(_tricks(1, 2))))
def test_tricky_targets_refused_without_connecting(tmp_path, api, resolver, counter, other,
                                                   index):
    p, q = counter.port, other.port
    request = _tricks(p, q)[index]
    proxy, refused = _proxy(tmp_path, api, resolver,
                            allow_hosts=[f"good.test:{p}", "plain.test"])
    try:
        got = raw(tmp_path / "e.sock", request, timeout=3)
        assert counter.connections == 0 and other.connections == 0, request
        assert resolver.calls == [] and api.seen == [], request
        assert got.split(b" ")[1] in (b"400", b"403"), (request, got[:200])
        assert len(refused) == 1, refused
    finally:
        proxy.stop()


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["::ffff:127.0.0.1"], ["::1"],
                                    ["0.0.0.0"], ["127.0.0.1", "::1"]])
def test_listed_name_resolving_to_a_private_address_is_refused(tmp_path, api, counter,
                                                               answer):
    resolver = MapResolver({"inner.test": answer})
    p = counter.port
    proxy, refused = _proxy(tmp_path, api, resolver, allow_hosts=[f"inner.test:{p}"],
                            allow_private_resolution=False)
    try:
        answers = [raw(tmp_path / "e.sock", request, timeout=3)
                   for request in (_get(f"http://inner.test:{p}/"), _connect(f"inner.test:{p}"))]
        assert counter.connections == 0
        assert all(a.startswith(b"HTTP/1.1 403") for a in answers), answers
        assert [r["reason"] for r in refused] == ["private_address"] * 2
    finally:
        proxy.stop()


def test_private_resolution_needs_a_test_resolver(tmp_path, api):
    with pytest.raises(ValueError):
        EgressProxy(socket_path=tmp_path / "e.sock", model_url=api.url,
                    credential=ModelCredential("api_key", "k"), allow_private_resolution=True)


def _twin_servers(mode: str) -> tuple[CountingServer, CountingServer]:
    """Two servers on one port: 127.0.0.2 (what the name resolved to first) and 127.0.0.1."""
    for _ in range(20):
        first = CountingServer(mode=mode, host="127.0.0.2").start()
        try:
            return first, CountingServer(mode=mode, host="127.0.0.1", port=first.port).start()
        except OSError:
            first.stop()
    raise RuntimeError("no port free on both 127.0.0.1 and 127.0.0.2")


@pytest.mark.parametrize("mode", ["http", "echo"])
def test_resolves_once_and_connects_to_the_address_it_checked(tmp_path, api, mode):
    checked, rebound = _twin_servers(mode)
    answers = iter([["127.0.0.2"]])
    # After the first answer the name "rebinds" to 127.0.0.1: a second lookup
    # (say, by an HTTP client that resolves again) would land there.
    resolver = MapResolver({"pkg.test": lambda: next(answers, ["127.0.0.1"])})
    p = checked.port
    proxy, refused = _proxy(tmp_path, api, resolver, allow_hosts=[f"pkg.test:{p}"])
    try:
        if mode == "http":
            got = raw(tmp_path / "e.sock", _get(f"http://pkg.test:{p}/simple/"))
            assert got.startswith(b"HTTP/1.1 200")
            assert checked.heads[0].startswith(b"GET /simple/ HTTP/1.1")
            assert f"host: pkg.test:{p}".encode() in checked.heads[0].lower()
        else:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(10)
                s.connect(str(tmp_path / "e.sock"))
                s.sendall(_connect(f"pkg.test:{p}").encode())
                assert s.recv(1024).startswith(b"HTTP/1.1 200")
                s.sendall(b"\x16\x03\x01 client hello for pkg.test")
                assert s.recv(1024) == b"\x16\x03\x01 client hello for pkg.test"
        assert checked.connections == 1 and rebound.connections == 0
        assert resolver.calls == [("pkg.test", p)] and refused == []
    finally:
        proxy.stop()
        checked.stop()
        rebound.stop()


def test_a_redirect_to_an_unlisted_host_is_passed_back_not_followed(tmp_path, api, resolver,
                                                                     other):
    evil = f"http://evil.test:{other.port}/steal"
    redirect = CountingServer(reply=(f"HTTP/1.1 302 Found\r\nlocation: {evil}\r\n"
                                     "content-length: 0\r\nconnection: close\r\n\r\n").encode())
    redirect.start()
    p = redirect.port
    proxy, refused = _proxy(tmp_path, api, resolver, allow_hosts=[f"good.test:{p}"])
    try:
        got = raw(tmp_path / "e.sock", _get(f"http://good.test:{p}/"))
        assert got.startswith(b"HTTP/1.1 302") and f"location: {evil}".encode() in got.lower()
        assert redirect.connections == 1 and other.connections == 0
        assert resolver.calls == [("good.test", p)]
    finally:
        proxy.stop()
        redirect.stop()


def test_listed_plain_http_host_forwarded_without_credential(tmp_path, api, resolver, counter):
    p = counter.port
    proxy, refused = _proxy(tmp_path, api, resolver, allow_hosts=[f"good.test:{p}"])
    try:
        got = raw(tmp_path / "e.sock", _get(f"http://good.test:{p}/simple/").replace(
            "Connection: close", "Connection: close\r\nx-api-key: placeholder\r\n"
                                 "Authorization: Bearer placeholder"))
        assert got.startswith(b"HTTP/1.1 200") and b"\r\nok\r\n" in got and refused == []
        assert b"real-key" not in counter.heads[0]
    finally:
        proxy.stop()


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages?beta=true",
                                  "/v1/messages/count_tokens",
                                  "/v1/messages/count_tokens?beta=true"])
def test_model_paths_forwarded(tmp_path, api, resolver, path):
    proxy, refused = _proxy(tmp_path, api, resolver)
    try:
        with _client(tmp_path) as c:
            r = c.post(f"http://127.0.0.1:8377{path}", json=BODY)
        assert r.status_code == 200 and refused == []
        assert api.seen == [("POST", path)]
    finally:
        proxy.stop()


@pytest.mark.parametrize("method,path", [
    ("GET", "/v1/models"), ("POST", "/v1/files"), ("GET", "/v1/files/file_1"),
    ("POST", "/v1/messages/batches"), ("GET", "/v1/organizations/users/u1"),
    ("DELETE", "/v1/skills/s1"), ("GET", "/v1/messages"), ("PUT", "/v1/messages"),
    ("POST", "/v1/messages/../files"), ("POST", "/v1/messages%2f..%2ffiles"),
    ("POST", "/V1/messages"), ("POST", "/v1/messages/"),
    ("POST", "/api/oauth/profile"), ("POST", "/"),
])
def test_other_paths_on_the_model_host_are_refused(tmp_path, api, resolver, method, path):
    proxy, refused = _proxy(tmp_path, api, resolver)
    try:
        for target in (path, f"http://127.0.0.1:8377{path}"):
            got = raw(tmp_path / "e.sock", f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:8377"
                                           "\r\ncontent-length: 2\r\n\r\n{}")
            assert got.startswith(b"HTTP/1.1 404"), got[:200]
            body = json.loads(got.partition(b"\r\n\r\n")[2])
            assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
        assert api.seen == []
        assert [r["reason"] for r in refused] == ["model_path", "model_path"]
    finally:
        proxy.stop()
