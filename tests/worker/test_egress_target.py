"""One strict parser for every egress target, and the allow-list it feeds.

Pure functions: no sockets. The property tests hold our parser against httpx's
own URL parsing: whatever we allow, httpx would connect to a listed host.
"""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from worker.egress.allow import AllowList, host_allowed
from worker.egress.target import Refused, parse_authority, parse_target

LISTED = ["pypi.org", ".pythonhosted.org", "registry.npmjs.org:443", "127.0.0.1:8080",
          "[::1]:9000", "bücher.example"]


@pytest.mark.parametrize("text,host,port", [
    ("pypi.org:443", "pypi.org", 443),
    ("PyPI.ORG:443", "pypi.org", 443),
    ("pypi.org.:443", "pypi.org", 443),           # one trailing dot is the same name
    ("127.0.0.1:8080", "127.0.0.1", 8080),
    ("[::1]:9000", "::1", 9000),
    ("[0:0:0:0:0:0:0:1]:9000", "::1", 9000),      # canonical form
    ("xn--bcher-kva.example:443", "xn--bcher-kva.example", 443),
])
def test_authorities_that_parse(text, host, port):
    auth = parse_authority(text, default_port=None)
    assert (auth.host, auth.port) == (host, port)


@pytest.mark.parametrize("text", [
    "pypi.org:1@evil.test:443",    # userinfo
    "user@pypi.org:443",
    "pypi.org%2eevil.test:443",    # percent-encoding in the host
    "pypi.org\\@evil.test:443",    # backslash
    "pypi.org:",                   # empty port
    "pypi.org:0443",               # leading zero
    "pypi.org:+443",
    "pypi.org:65536",
    "pypi.org:0",
    ":443",                        # empty host
    ".:443", "..:443", "pypi..org:443", "pypi.org..:443",
    "-pypi.org:443", "pypi-.org:443",
    "pypi.org:443:443",
    "2130706433:443",              # numeric hosts an OS would read as an address
    "0x7f.1:443", "127.1:443", "017700000001:443", "127.0.0.01:443",
    "[::1%25lo]:443", "[::1]x:443", "[pypi.org]:443", "::1:443",
    "bücher.example:443",          # a client sends A-labels, never raw Unicode
    "pypi。org:443",               # ideographic full stop, which IDNA maps to "."
    "pypi.org :443", "pypi.org\t:443", "pypi_org.test:443",
    "a" * 64 + ".test:443",
    ".".join(["a" * 60] * 5) + ":443",
])
def test_authorities_refused(text):
    with pytest.raises(Refused):
        parse_authority(text, default_port=None)


def test_port_defaults_only_where_the_form_allows():
    assert parse_authority("pypi.org", default_port=80).port == 80
    with pytest.raises(Refused):
        parse_authority("pypi.org", default_port=None)


@pytest.mark.parametrize("method,target,host,want", [
    ("GET", "http://pypi.org/simple/", ["pypi.org"], ("pypi.org", 80, "/simple/")),
    ("GET", "HTTP://pypi.org:80", [], ("pypi.org", 80, "/")),
    ("GET", "http://pypi.org?x=1", ["pypi.org:80"], ("pypi.org", 80, "/?x=1")),
    ("CONNECT", "pypi.org:443", ["pypi.org:443"], ("pypi.org", 443, "")),
    ("CONNECT", "pypi.org:443", ["pypi.org"], ("pypi.org", 443, "")),
    ("CONNECT", "pypi.org:443", [], ("pypi.org", 443, "")),
    ("POST", "/v1/messages?beta=true", ["127.0.0.1:8377"],
     ("127.0.0.1", 8377, "/v1/messages?beta=true")),
])
def test_targets_that_parse(method, target, host, want):
    got = parse_target(method, target, host)
    assert (got.authority.host, got.authority.port, got.path) == want


@pytest.mark.parametrize("method,target,host", [
    ("GET", "http://pypi.org/", ["evil.test"]),             # absolute-form vs Host
    ("GET", "http://pypi.org/", ["pypi.org:8080"]),
    ("GET", "http://pypi.org/", ["pypi.org", "pypi.org"]),  # two Host headers
    ("CONNECT", "pypi.org:443", ["evil.test:443"]),          # CONNECT vs Host
    ("CONNECT", "pypi.org:443", ["pypi.org:444"]),
    ("CONNECT", "pypi.org", []),                             # CONNECT needs a port
    ("CONNECT", "http://pypi.org:443", []),
    ("GET", "https://pypi.org/", []),                        # TLS goes through CONNECT
    ("GET", "ftp://pypi.org/", []),
    ("GET", "http://pypi.org:1@evil.test/", []),
    ("GET", "http://evil.test#@pypi.org/", []),
    ("GET", "http://pypi.org\\@evil.test/", []),
    ("GET", "http:\\\\pypi.org/", []),
    ("GET", "http://pypi.org/a\\b", []),
    ("GET", "http:/pypi.org/", []),
    ("GET", "http:///pypi.org/", []),
    ("GET", "//pypi.org/", ["pypi.org"]),
    ("GET", "/x#frag", ["127.0.0.1:8377"]),
    ("GET", "*", ["pypi.org"]),
    ("GET", "/x", []),                                       # origin-form needs a Host
    ("GET", "/x", ["pypi.org:1@evil.test"]),
])
def test_targets_refused(method, target, host):
    with pytest.raises(Refused):
        parse_target(method, target, host)


@pytest.mark.parametrize("hostport,allowed", [
    ("pypi.org:443", True), ("pypi.org:80", True), ("PYPI.ORG:443", True),
    ("pypi.org.:443", True), ("pypi.org:8443", False), ("evilpypi.org:443", False),
    ("pypi.org.evil.test:443", False), ("files.pythonhosted.org:443", True),
    ("pythonhosted.org:443", False), ("registry.npmjs.org:443", True),
    ("registry.npmjs.org:80", False), ("127.0.0.1:8080", True), ("127.0.0.1:80", False),
    ("127.0.0.2:8080", False), ("[::1]:9000", True), ("[::2]:9000", False),
    ("xn--bcher-kva.example:443", True), ("", False), ("pypi.org:1@evil.test:443", False),
])
def test_allow_list_matching(hostport, allowed):
    assert host_allowed(hostport, LISTED) is allowed


def test_an_ip_literal_matches_only_a_listed_ip():
    rules = AllowList(["localhost", "pypi.org"])
    assert rules.match(parse_authority("127.0.0.1:443", default_port=None)) is None


def test_bad_entries_are_ignored_not_widened():
    rules = AllowList(["*", "http://pypi.org", "pypi.org:99999", "", ".", "a@b"])
    assert rules.entries == []


# -- property: ours allows => httpx would connect to a listed host --------------------

_NAMES = ["pypi.org", "PYPI.org", "pypi.org.", "files.pythonhosted.org", "pythonhosted.org",
          "registry.npmjs.org", "evil.test", "127.0.0.1", "127.0.0.2", "[::1]", "[::ffff:127.0.0.1]",
          "2130706433", "xn--bcher-kva.example", "bücher.example", "pypi。org", "localhost"]
_SEPS = ["", ".", "@", ":", ":1@", "%2e", "%40", "\\", "/", "#", "?", "[", "]", " ", "\t",
         "%", "..", "。", "．", "\u200b", "\x00", "_", "-"]
# The separators that have fooled URL parsers before, weighted up.
_TRICKS = ["@", ":1@", ":80@", "#", "#@", "\\", "\\@", "/", "?", "%40", "%2e", "。"]
_piece = st.one_of(st.sampled_from(_NAMES), st.sampled_from(_SEPS),
                   st.integers(0, 70000).map(str), st.text("ab19.:-@", max_size=4))
_port = st.one_of(st.sampled_from(["", ":80", ":443", ":8080", ":9000", "", ":443", ":80",
                                   ":0443", ":", ":+80", ":0"]),
                  st.integers(0, 70000).map(":{}".format))
# Mostly near-valid authorities (a name and a port, or two of them glued by a
# separator), so that many examples get past the parser and the allow-list.
_simple = st.builds(str.__add__, st.sampled_from(_NAMES), _port)
_glued = st.builds(lambda a, sep, b: a + sep + b, _simple,
                   st.one_of(st.sampled_from(_TRICKS), st.sampled_from(_SEPS)), _simple)
_authority = st.one_of(_simple, _simple, _glued,
                       st.lists(_piece, min_size=1, max_size=6).map("".join))
_scheme = st.sampled_from(["http://"] * 6 + ["HTTP://", "https://", "http:/", "http:\\\\",
                                             "http:///", "", "//"])
_path = st.sampled_from(["", "/", "/simple/", "?q=1", "/a@b", "/%2f", "#x", "/\\evil.test",
                         "#@pypi.org/", "\\@pypi.org/"])


def _listed_by_oracle(host: str, port: int) -> bool:
    """An independent reading of LISTED, applied to what httpx says it connects to."""
    host = _norm(host)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in ["pypi.org", ".pythonhosted.org", "registry.npmjs.org:443"]:
        name, _, eport = entry.partition(":")
        ports = {int(eport)} if eport else {80, 443}
        if port not in ports or ip is not None:
            continue
        if name.startswith(".") and host.endswith(name) and host != name[1:]:
            return True
        if host == name:
            return True
    if host in ("xn--bcher-kva.example",) and port in (80, 443):
        return True
    return (ip, port) in {(ipaddress.ip_address("127.0.0.1"), 8080),
                          (ipaddress.ip_address("::1"), 9000)}


def _httpx_destination(url: str) -> tuple[str, int]:
    parsed = httpx.URL(url)
    default = 443 if parsed.scheme == "https" else 80
    return parsed.raw_host.decode("ascii"), parsed.port or default


_RULES = AllowList(LISTED)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheme=_scheme, authority=_authority, path=_path)
@example(scheme="http://", authority="pypi.org:1@evil.test", path="/")
@example(scheme="http://", authority="pypi.org@evil.test", path="/")
@example(scheme="http://", authority="evil.test", path="#@pypi.org/")
@example(scheme="http://", authority="pypi.org\\@evil.test", path="/")
def test_absolute_form_allowed_only_when_httpx_would_reach_a_listed_host(scheme, authority,
                                                                          path):
    url = scheme + authority + path
    try:
        target = parse_target("GET", url, [])
    except Refused:
        return
    if _RULES.match(target.authority) is None:
        return
    host, port = _httpx_destination(url)
    assert _listed_by_oracle(host, port), (url, host, port)
    assert (_norm(host), port) == (_norm(target.authority.host), target.authority.port), url


@settings(max_examples=800, deadline=None)
@given(authority=_authority)
@example(authority="pypi.org:443@evil.test:443")
def test_connect_allowed_only_when_httpx_would_reach_a_listed_host(authority):
    try:
        target = parse_target("CONNECT", authority, [])
    except Refused:
        return
    if _RULES.match(target.authority) is None:
        return
    host, port = _httpx_destination(f"https://{authority}/")
    assert _listed_by_oracle(host, port), (authority, host, port)


_variant = st.sampled_from([str, str.upper, lambda a: a.replace(":", ".:", 1),
                             lambda a: a.rsplit(":", 1)[0], lambda a: a + "@evil.test"])


@settings(max_examples=800, deadline=None)
@given(authority=_authority,
       host_header=st.one_of(_authority, st.builds(lambda f, a: f(a), _variant, _simple)))
def test_a_host_header_never_points_elsewhere(authority, host_header):
    try:
        target = parse_target("GET", f"http://{authority}/", [host_header])
    except Refused:
        return
    if _RULES.match(target.authority) is None:
        return
    # Whatever a server would read from the Host header is the same listed host.
    host, port = _httpx_destination(f"http://{host_header}/")
    assert (_norm(host), port) == (_norm(target.authority.host), target.authority.port)


def _norm(host: str) -> str:
    host = host.rstrip(".").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


@settings(max_examples=300, deadline=None)
@given(authority=_simple, path=st.sampled_from(["", "/", "/simple/", "?q=1", "/a@b", "/%2f"]))
def test_where_both_parse_a_plain_url_they_agree_on_its_host(authority, path):
    url = "http://" + authority + path
    try:
        target = parse_target("GET", url, [])
    except Refused:
        return
    host, port = _httpx_destination(url)
    assert (_norm(host), port) == (_norm(target.authority.host), target.authority.port), url
