"""Network git (clone, fetch, ls-remote, push) through a per-call :class:`Transport`.

Every byte of git's output that leaves here is redacted; failures become a
:class:`RemoteError` whose key says what went wrong in the user's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clawweb.services.git import GitError, run_git
from clawweb.services.remotes import urls
from clawweb.services.remotes.errors import RemoteError
from clawweb.services.remotes.keys import known_hosts_entries
from clawweb.services.remotes.redact import redact, tail
from clawweb.services.remotes.transport import Credentials, Transport

# Order matters: ssh failures all end in "Could not read from remote repository".
_RULES = [
    (r"REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed",
     "remotes.host_key_changed"),
    (r"No \S+ host key is known for|Host key verification failed", "remotes.host_key_unknown"),
    (r"Permission denied \(publickey|Load key .*: invalid format", "remotes.key_refused"),
    (r"Authentication failed|could not read (Username|Password)|terminal prompts disabled"
     r"|returned error: (401|403)|HTTP Basic: Access denied|Invalid username or password"
     r"|Permission to .* denied|requested URL returned error: 403", "remotes.auth_failed"),
    (r"couldn't find remote ref", "remotes.remote_branch_missing"),
    (r"Repository not found|does not appear to be a git repository|not a git repository"
     r"|returned error: 404|repository .* not found|does not exist", "remotes.not_found"),
    (r"Could not resolve|Failed to connect|Connection refused|Connection timed out"
     r"|Network is unreachable|No route to host|Operation timed out|Connection reset"
     r"|Connection closed|SSL|TLS|certificate|Empty reply from server|unable to access",
     "remotes.unreachable"),
]
_OFFERED = re.compile(r"key sent by the remote host is\s+(SHA256:[A-Za-z0-9+/=]+)")


@dataclass(frozen=True)
class NetResult:
    stdout: str
    stderr: str  # redacted
    known_hosts: str  # after the call: a first-use key is pinned here


def classify(stderr: str) -> str:
    """A ``remotes.*`` message key for git's (English, LC_ALL=C) stderr."""
    for pattern, key in _RULES:
        if re.search(pattern, stderr or "", re.I):
            return key
    return "remotes.failed"


def error_for(stderr: str, secrets: list[str], pinned: str = "") -> RemoteError:
    """The RemoteError for a failed call, its detail redacted.

    Host key errors carry ``pinned`` (what we trust) and ``offered`` (what
    the server showed), so the message can name both fingerprints.
    """
    key = classify(stderr)
    detail = redact(tail(stderr), secrets)
    params = {}
    if key in ("remotes.host_key_changed", "remotes.host_key_unknown"):
        found = _OFFERED.search(stderr or "")
        params["offered"] = found.group(1).rstrip(".") if found else "?"
        params["pinned"] = pinned or "?"
    return RemoteError(key, detail=detail, **params)


def pinned_fingerprints(url: urls.RemoteURL, known_hosts: str) -> str:
    """The fingerprints pinned for ``url``'s host, comma-separated."""
    return ", ".join(e["fingerprint"] for e in known_hosts_entries(known_hosts)
                     if e["host"] == url.host_key_alias)


def run(args: list[str], *, url: urls.RemoteURL, creds: Credentials, timeout: float = 300,
        check: bool = True) -> tuple[NetResult, int]:
    """Run ``git <transport options> <args>`` against ``url``.

    Args:
        args: git arguments after the transport's ``-c`` options; they must
            name ``url.raw`` themselves (after ``--``).
        url: the checked remote.
        creds: opened secrets for this one call.
        timeout: seconds before git and its helpers are killed.
        check: raise on a non-zero exit.

    Returns:
        (result, exit code).

    Raises:
        RemoteError: the classified failure, or ``remotes.timeout``.
    """
    with Transport(url, creds) as tr:
        try:
            proc = run_git([*tr.args, *args], env=tr.env, timeout=timeout, check=False)
        except GitError as exc:
            raise RemoteError("remotes.timeout", detail=redact(tail(exc.stderr),
                                                               tr.secrets)) from None
        stderr = proc.stderr.decode(errors="replace")
        if check and proc.returncode != 0:
            raise error_for(stderr, tr.secrets, pinned_fingerprints(url, creds.known_hosts))
        result = NetResult(stdout=redact(proc.stdout.decode(errors="replace"), tr.secrets),
                           stderr=redact(stderr, tr.secrets),
                           known_hosts=tr.known_hosts_after())
    return result, proc.returncode


def remote_head(url: urls.RemoteURL, creds: Credentials) -> tuple[str, NetResult]:
    """The branch the remote's HEAD names ("" when it has none)."""
    result, _ = run(["ls-remote", "--symref", "--", url.raw, "HEAD"], url=url, creds=creds,
                    timeout=120)
    for line in result.stdout.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            return line[len("ref: refs/heads/"):-len("\tHEAD")], result
    return "", result


def bare(repo: Path) -> list[str]:
    """``--git-dir`` options for a project's bare repository."""
    return ["--git-dir", str(Path(repo).absolute())]
