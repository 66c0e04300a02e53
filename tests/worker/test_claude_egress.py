"""The egress proxy on its unix socket, without a container."""

from __future__ import annotations

import http.server
import threading

import httpx
import pytest

from tests.fixtures.fake_anthropic import FakeAnthropic, text
from worker.egress import EgressProxy, ModelCredential
from worker.egress.allow import host_allowed


@pytest.fixture
def api():
    server = FakeAnthropic([text("hi")]).start()
    yield server
    server.stop()


def _proxy(tmp_path, api, **kw):
    refused: list[str] = []
    proxy = EgressProxy(socket_path=tmp_path / "e.sock", model_url=api.url,
                        on_refused=refused.append, own_hosts=("127.0.0.1:8377",),
                        **{"credential": ModelCredential("api_key", "real-key"), **kw}).start()
    return proxy, refused


def _client(tmp_path):
    return httpx.Client(transport=httpx.HTTPTransport(uds=str(tmp_path / "e.sock")), timeout=10)


def _raw(tmp_path, request: str) -> str:
    """Send one request as a proxy client would (absolute-form or CONNECT)."""
    import socket
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(str(tmp_path / "e.sock"))
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data.decode(errors="replace")


BODY = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
        "tools": [{"name": "t"}]}


@pytest.mark.parametrize("kind,header,value", [
    ("api_key", "x-api-key", "real-key"), ("oauth_token", "authorization", "Bearer real-key")])
def test_model_requests_get_the_real_credential(tmp_path, api, kind, header, value):
    proxy, _ = _proxy(tmp_path, api, credential=ModelCredential(kind, "real-key"))
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


def test_unlisted_hosts_refused_without_connecting(tmp_path, api):
    proxy, refused = _proxy(tmp_path, api)
    try:
        got = _raw(tmp_path, "GET http://example.org/x HTTP/1.1\r\nHost: example.org\r\n\r\n")
        assert got.startswith("HTTP/1.1 403")
        got = _raw(tmp_path, "CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n")
        assert got.startswith("HTTP/1.1 403")
        assert refused == ["example.org", "evil.test"]
        assert api.requests == []
    finally:
        proxy.stop()


def test_allow_listed_plain_http_host_forwarded_without_credential(tmp_path, api):
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.update(dict(self.headers))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    proxy, refused = _proxy(tmp_path, api, allow_hosts=[f"127.0.0.1:{port}"])
    try:
        got = _raw(tmp_path, f"GET http://127.0.0.1:{port}/simple/ HTTP/1.1\r\n"
                             f"Host: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
        assert got.startswith("HTTP/1.1 200") and "\r\nok\r\n" in got and refused == []
        assert "real-key" not in str(seen)
    finally:
        proxy.stop()
        server.shutdown()


@pytest.mark.parametrize("host,allowed", [
    ("pypi.org", True), ("pypi.org:443", True), ("PYPI.ORG", True), ("evilpypi.org", False),
    ("files.pythonhosted.org", True), ("pythonhosted.org", False), ("registry.npmjs.org:443", True),
    ("registry.npmjs.org:80", False), ("", False)])
def test_allow_list_matching(host, allowed):
    rules = ["pypi.org", ".pythonhosted.org", "registry.npmjs.org:443"]
    assert host_allowed(host, rules) is allowed
