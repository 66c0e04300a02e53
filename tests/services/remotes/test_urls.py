"""Remote URLs are parsed once, strictly: no credentials, no local paths or odd
transports, and only public hosts unless the operator listed a private one."""

from __future__ import annotations

import pytest

from clawweb.services.remotes import urls
from clawweb.services.remotes.errors import RemoteError


@pytest.fixture
def listed(monkeypatch, settings):
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_REMOTE_PRIVATE_HOSTS", "127.0.0.1:8080, gitlab.lan ,[::1]")
    settings_mod.get_settings.cache_clear()
    yield
    settings_mod.get_settings.cache_clear()


@pytest.mark.parametrize("raw,scheme,host,port,user,path", [
    ("https://github.com/o/r.git", "https", "github.com", 443, "", "/o/r.git"),
    ("https://GitLab.com:8443/g/s/r", "https", "gitlab.com", 8443, "", "/g/s/r"),
    ("ssh://git@github.com/o/r.git", "ssh", "github.com", 22, "git", "/o/r.git"),
    ("ssh://git@gitea.com:2222/o/r.git", "ssh", "gitea.com", 2222, "git", "/o/r.git"),
    ("git@github.com:o/r.git", "ssh", "github.com", 22, "git", "o/r.git"),
    ("ssh://git@[2606:4700::1111]:2200/o/r", "ssh", "2606:4700::1111", 2200, "git", "/o/r"),
])
def test_accepted_forms(settings, raw, scheme, host, port, user, path):
    url = urls.parse(raw)
    assert (url.scheme, url.host, url.port, url.user, url.path) == (scheme, host, port, user,
                                                                    path)
    assert url.raw == raw.strip()


def test_repo_path_and_host_key_alias(settings):
    assert urls.parse("git@github.com:o/r.git").repo_path == "o/r"
    assert urls.parse("https://gitlab.com/g/sub/r.git/").repo_path == "g/sub/r"
    assert urls.parse("ssh://git@h.example:2222/~/o/r.git").repo_path == "o/r"
    assert urls.parse("ssh://git@h.example/o/r").host_key_alias == "h.example"
    assert urls.parse("ssh://git@h.example:2222/o/r").host_key_alias == "[h.example]:2222"


@pytest.mark.parametrize("raw,key", [
    ("https://user:tok@github.com/o/r.git", "remotes.url_credentials"),
    ("https://tok@github.com/o/r.git", "remotes.url_credentials"),
    ("ssh://git:pw@github.com/o/r.git", "remotes.url_credentials"),
    ("/srv/git/r.git", "remotes.url_unsupported"),
    ("file:///srv/git/r.git", "remotes.url_unsupported"),
    ("git://github.com/o/r.git", "remotes.url_unsupported"),
    ("ext::sh -c touch% /tmp/pwned", "remotes.url_invalid"),
    ("ftp://github.com/o/r.git", "remotes.url_unsupported"),
    ("http://github.com/o/r.git", "remotes.url_http_not_allowed"),
    ("https://127.0.0.1/o/r.git", "remotes.url_not_public"),
    ("https://10.1.2.3/o/r.git", "remotes.url_not_public"),
    ("ssh://git@192.168.1.5/o/r.git", "remotes.url_not_public"),
    ("git@localhost:o/r.git", "remotes.url_not_public"),
    ("ssh://-oProxyCommand=x/o/r", "remotes.url_invalid"),
    ("-oProxyCommand=x:o/r", "remotes.url_invalid"),
    ("ssh://git@github.com/-o/r", "remotes.url_invalid"),
    ("https://github.com/o/r .git", "remotes.url_invalid"),
    ("https://github.com/o/r\n.git", "remotes.url_invalid"),
    ("", "remotes.url_invalid"),
    ("https:///o/r", "remotes.url_invalid"),
])
def test_refused(settings, raw, key):
    with pytest.raises(RemoteError) as err:
        urls.parse(raw)
    assert err.value.key == key


def test_listed_private_hosts_are_allowed_and_only_they_may_use_http(listed):
    assert urls.parse("http://127.0.0.1:8080/o/r.git").port == 8080
    assert urls.parse("https://gitlab.lan/g/r.git").host == "gitlab.lan"
    assert urls.parse("ssh://git@gitlab.lan:2222/g/r.git").port == 2222
    assert urls.parse("ssh://git@[::1]:2222/g/r.git").host == "::1"
    with pytest.raises(RemoteError) as err:  # listed with another port only
        urls.parse("http://127.0.0.1:9090/o/r.git")
    assert err.value.key == "remotes.url_not_public"


def test_resolution_refuses_a_public_name_that_points_inside(settings, monkeypatch):
    import socket

    def fake_getaddrinfo(host, port, *a, **kw):
        assert host == "rebind.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    url = urls.parse("https://rebind.example/o/r.git")  # a name: not resolved when parsed
    with pytest.raises(RemoteError) as err:
        urls.resolve_checked(url)
    assert err.value.key == "remotes.url_not_public"


def test_resolution_returns_public_addresses(settings, monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **kw: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("140.82.121.3", port)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:50c0:8000::154", port, 0, 0))])
    assert urls.resolve_checked(urls.parse("https://github.com/o/r")) == [
        "140.82.121.3", "2606:50c0:8000::154"]
