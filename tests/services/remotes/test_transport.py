"""The per-call transport: a token or key reaches git only through 0600 files in a
private temp dir that is gone afterwards; never argv, a URL or the environment."""

from __future__ import annotations

import os
import shlex
import stat

import pytest

from clawweb.services.remotes import keys, urls
from clawweb.services.remotes.transport import Credentials, Transport

TOKEN = "glpat-transport-unit-secret-0001"


@pytest.fixture
def listed(monkeypatch, settings):
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_REMOTE_PRIVATE_HOSTS", "127.0.0.1")
    settings_mod.get_settings.cache_clear()
    yield
    settings_mod.get_settings.cache_clear()


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_https_token_goes_through_an_included_0600_file(listed):
    url = urls.parse("http://127.0.0.1:8080/o/r.git")
    with Transport(url, Credentials(token=TOKEN, token_username="oauth2")) as tr:
        joined = " ".join(tr.args) + " " + " ".join(f"{k}={v}" for k, v in tr.env.items())
        assert TOKEN not in joined and "oauth2" not in joined
        include = next(a.split("=", 1)[1] for a in tr.args if a.startswith("include.path="))
        assert _mode(include) == 0o600 and _mode(os.path.dirname(include)) == 0o700
        text = open(include).read()
        assert "extraHeader = Authorization: Basic " in text
        assert "http.followRedirects=false" in tr.args
        tmpdir = os.path.dirname(include)
    assert not os.path.exists(tmpdir)
    assert TOKEN in tr.secrets


def test_no_token_no_header(listed):
    with Transport(urls.parse("http://127.0.0.1:8080/o/r.git"), Credentials()) as tr:
        assert not any(a.startswith("include.path=") for a in tr.args)


def test_https_name_is_pinned_to_checked_addresses(settings, monkeypatch):
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **kw: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("140.82.121.3", port))])
    with Transport(urls.parse("https://github.com/o/r.git"), Credentials(token=TOKEN)) as tr:
        assert "http.curloptResolve=github.com:443:140.82.121.3" in tr.args


def test_ssh_key_file_known_hosts_and_strict_options(listed):
    key = keys.generate("t")
    url = urls.parse("ssh://git@127.0.0.1:2222/srv/r.git")
    with Transport(url, Credentials(ssh_private_key=key.private)) as tr:
        cmd = shlex.split(tr.env["GIT_SSH_COMMAND"])
        opts = dict(cmd[i + 1].split("=", 1) for i, a in enumerate(cmd) if a == "-o")
        key_file = cmd[cmd.index("-i") + 1]
        assert _mode(key_file) == 0o600 and open(key_file).read() == key.private
        assert opts["StrictHostKeyChecking"] == "accept-new"  # nothing pinned yet
        assert opts["HostKeyAlias"] == "[127.0.0.1]:2222"
        assert opts["Hostname"] == "127.0.0.1"
        assert opts["IdentitiesOnly"] == "yes" and opts["BatchMode"] == "yes"
        assert opts["ProxyCommand"] == "none" and opts["GlobalKnownHostsFile"] == "/dev/null"
        assert cmd[:3] == ["ssh", "-F", "/dev/null"]
        assert "protocol.ssh.allow=always" in tr.args
        assert key.private not in " ".join(tr.args) + " ".join(tr.env.values())
        tmpdir = os.path.dirname(key_file)
    assert not os.path.exists(tmpdir)


def test_ssh_strict_once_this_host_has_any_pinned_key(listed):
    pinned = keys.generate("h").public.split()
    url = urls.parse("ssh://git@127.0.0.1:2222/srv/r.git")
    other = f"[127.0.0.1]:2200 {pinned[0]} {pinned[1]}\n"
    with Transport(url, Credentials(ssh_private_key="k", known_hosts=other)) as tr:
        assert "StrictHostKeyChecking=accept-new" in tr.env["GIT_SSH_COMMAND"]
    mine = f"[127.0.0.1]:2222 {pinned[0]} {pinned[1]}\n"
    with Transport(url, Credentials(ssh_private_key="k", known_hosts=mine)) as tr:
        assert "StrictHostKeyChecking=yes" in tr.env["GIT_SSH_COMMAND"]
        assert tr.known_hosts_after() == mine


def test_credentials_repr_hides_secrets():
    creds = Credentials(token=TOKEN, ssh_private_key="PRIVATE")
    assert TOKEN not in repr(creds) and "PRIVATE" not in repr(creds)
