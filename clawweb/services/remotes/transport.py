"""The git options and environment that carry a remote's credentials, built per call.

A token or a deploy key is written to a fresh private directory (0700) as
0600 files for exactly one git invocation, then removed:

* HTTPS: an ``http.extraHeader`` Basic-auth header in a small config file that
  git reads through ``-c include.path=<file>``: argv shows only the path, so
  neither ``ps`` nor ``/proc/<pid>/cmdline`` nor a URL ever holds the token.
  Redirects are off (the header would follow them) and a name is pinned to the
  addresses :func:`urls.resolve_checked` approved.
* SSH: ``GIT_SSH_COMMAND`` runs ``ssh -F /dev/null`` with the key file, our own
  known_hosts file, and every option that could run a program or reach
  elsewhere switched off. A host with no pinned key is accepted once and
  pinned (``accept-new``); a host with any pinned key must match it
  (``StrictHostKeyChecking=yes``), so a changed key, or a key of another type
  offered instead, is refused.

Nothing is written into the project's repository or its config.
"""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from clawweb.services.remotes import urls
from clawweb.services.remotes.keys import known_hosts_entries

CONNECT_TIMEOUT = 20


@dataclass(frozen=True)
class Credentials:
    """A remote's opened secrets, for one call. Never logged (see ``__repr__``)."""

    token: str = ""
    token_username: str = ""
    ssh_private_key: str = ""
    known_hosts: str = ""

    def __repr__(self) -> str:
        return (f"Credentials(token={'<hidden>' if self.token else ''}, "
                f"ssh_key={'<hidden>' if self.ssh_private_key else ''})")


def _write_private(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


@dataclass
class Transport:
    """Context manager: ``args`` go before git's subcommand, ``env`` into run_git."""

    url: urls.RemoteURL
    creds: Credentials
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    _dir: Path | None = None
    _known_hosts: Path | None = None

    def __enter__(self) -> "Transport":
        self._dir = Path(tempfile.mkdtemp(prefix="clawweb-remote-"))
        try:
            if self.url.is_ssh:
                self._ssh()
            else:
                self._http()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    # -- HTTPS -------------------------------------------------------------------
    def _http(self) -> None:
        addrs = urls.resolve_checked(self.url)
        self.args += ["-c", "http.followRedirects=false", "-c", "http.sslVerify=true"]
        if addrs != [self.url.host]:  # a name: connect only where the check said
            pinned = ",".join(f"[{a}]" if ":" in a else a for a in addrs)
            self.args += ["-c", f"http.curloptResolve={self.url.host}:{self.url.port}:{pinned}"]
        if self.creds.token:
            user = self.creds.token_username or "git"
            basic = base64.b64encode(f"{user}:{self.creds.token}".encode()).decode()
            config = _write_private(self._dir / "auth.cfg",
                                    f"[http]\n\textraHeader = Authorization: Basic {basic}\n")
            self.args += ["-c", f"include.path={config}"]
            self.secrets += [self.creds.token, basic]

    # -- SSH -----------------------------------------------------------------------
    def _pinned_here(self) -> bool:
        alias = self.url.host_key_alias
        return any(e["host"] == alias for e in known_hosts_entries(self.creds.known_hosts))

    def _ssh(self) -> None:
        addr = urls.resolve_checked(self.url)[0]
        key = _write_private(self._dir / "key", self.creds.ssh_private_key.rstrip("\n") + "\n")
        self._known_hosts = _write_private(self._dir / "known_hosts", self.creds.known_hosts)
        strict = "yes" if self._pinned_here() else "accept-new"
        options = {
            "IdentitiesOnly": "yes", "IdentityAgent": "none",
            "UserKnownHostsFile": str(self._known_hosts), "GlobalKnownHostsFile": "/dev/null",
            "StrictHostKeyChecking": strict, "HostKeyAlias": self.url.host_key_alias,
            "Hostname": addr, "CheckHostIP": "no", "HashKnownHosts": "no",
            "UpdateHostKeys": "no", "BatchMode": "yes", "PasswordAuthentication": "no",
            "KbdInteractiveAuthentication": "no", "PreferredAuthentications": "publickey",
            "ProxyCommand": "none", "ProxyJump": "none", "ControlMaster": "no",
            "ControlPath": "none", "ForwardAgent": "no", "ForwardX11": "no",
            "PermitLocalCommand": "no", "ClearAllForwardings": "yes",
            "ConnectTimeout": str(CONNECT_TIMEOUT), "ServerAliveInterval": "15",
            "ServerAliveCountMax": "4", "LogLevel": "ERROR",
        }
        cmd = ["ssh", "-F", "/dev/null", "-i", str(key)]
        for name, value in options.items():
            cmd += ["-o", f"{name}={value}"]
        # The environment wins over core.sshCommand, and run_git sets it to
        # "false" by default; GIT_SSH_VARIANT makes git pass "-p <port>".
        self.env.update({"GIT_SSH_COMMAND": shlex.join(cmd), "GIT_SSH_VARIANT": "ssh"})
        self.args += ["-c", "protocol.ssh.allow=always"]
        self.secrets += [line for line in self.creds.ssh_private_key.splitlines()
                         if line and not line.startswith("-----")]

    def known_hosts_after(self) -> str:
        """The known_hosts text after the call: with the key pinned on first use."""
        if self._known_hosts is None or not self._known_hosts.exists():
            return self.creds.known_hosts
        return self._known_hosts.read_text()
