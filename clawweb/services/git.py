"""Every host-side git call in clawweb, hardened against hostile repositories.

A task's container can write anything into its working copy, ``.git`` included:
hooks, ``core.fsmonitor``, ``core.hooksPath``, filter drivers, ``core.worktree``,
alternates pointing at host repositories, symlinks pointing outside. Host git
must never run or follow any of it. Two layers make sure of that:

* :func:`run_git` runs git with an empty environment of our own, no system or
  global config, and command-line overrides (the highest-precedence config) for
  every setting that names a program.
* :func:`clawweb.services.git_workdir.neutralize` rewrites a working copy's
  ``.git`` to a trusted state before host git touches it, because filters,
  includes and ``core.worktree`` cannot be switched off from the command line.

This module holds the hardened runner and the project repositories (bare
repositories under ``settings.repos_dir``); task working copies live in
:mod:`clawweb.services.git_workdir`.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from clawweb.services.errors import ServiceError

# Command-line config wins over every config file, so these hold even when a
# hostile .git/config says otherwise. Each one names a program git could run,
# or a transport that could reach something we do not allow.
_HARDENING = {
    "core.hooksPath": "/dev/null",
    "core.fsmonitor": "false",
    "core.sshCommand": "false",
    "core.askPass": "/bin/false",
    "core.pager": "cat",
    "core.editor": "false",
    "core.attributesFile": "/dev/null",
    "core.untrackedCache": "false",
    "sequence.editor": "false",
    "credential.helper": "",
    "protocol.file.allow": "always",
    "protocol.ext.allow": "never",
    "protocol.ssh.allow": "never",
    "protocol.git.allow": "never",
    "diff.external": "",
    "diff.ignoreSubmodules": "all",
    "submodule.recurse": "false",
    "commit.gpgSign": "false",
    "tag.gpgSign": "false",
    "gc.auto": "0",
    "maintenance.auto": "false",
    "fetch.fsckObjects": "true",
    "receive.fsckObjects": "true",
    "advice.detachedHead": "false",
    "init.defaultBranch": "main",
}

DEFAULT_AUTHOR = ("clawweb", "clawweb@localhost")


class GitError(ServiceError):
    """A git operation failed; ``key`` says why in the user's words."""

    def __init__(self, key: str = "git.failed", *, stderr: str = "", **params):
        super().__init__(key, **params)
        self.stderr = stderr


@functools.lru_cache
def _empty_home() -> str:
    # An empty HOME so nothing of the host user's (~/.gitconfig, ~/.ssh,
    # ~/.netrc) is ever read.
    return tempfile.mkdtemp(prefix="clawweb-git-home-")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    home = _empty_home()
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": home,
        "XDG_CONFIG_HOME": home,
        "LC_ALL": "C",  # stderr is classified by its English text
        "LANG": "C",
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_SSH": "/bin/false",
        "GIT_SSH_COMMAND": "false",
        "GIT_PAGER": "cat",
        "GIT_EDITOR": "false",
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_AUTHOR_NAME": DEFAULT_AUTHOR[0],
        "GIT_AUTHOR_EMAIL": DEFAULT_AUTHOR[1],
        "GIT_COMMITTER_NAME": DEFAULT_AUTHOR[0],
        "GIT_COMMITTER_EMAIL": DEFAULT_AUTHOR[1],
    }
    env.update(extra or {})
    return env


def run_git(
    args: list[str],
    *,
    cwd: Path | None = None,
    timeout: float = 120,
    check: bool = True,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run git with a hardened environment and configuration.

    Args:
        args: git arguments (without ``git``).
        cwd: directory to run in; prefer ``--git-dir`` in ``args`` for repositories.
        timeout: seconds before the whole process group is killed.
        check: raise :class:`GitError` on a non-zero exit.
        input: bytes for stdin.
        env: extra environment variables (e.g. author identity).

    Returns:
        The completed process, stdout and stderr as bytes.

    Raises:
        GitError: ``git.timeout`` on timeout, ``git.failed`` on failure (with ``check``).
    """
    cmd = ["git"]
    for key, value in _HARDENING.items():
        cmd += ["-c", f"{key}={value}"]
    cmd += list(args)
    # A new session so a timeout kills git's helpers (remote-https,
    # index-pack) too, not only the git process itself.
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=_env(env), start_new_session=True,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise GitError("git.timeout", stderr=err.decode(errors="replace")) from None
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if check and proc.returncode != 0:
        raise GitError("git.failed", stderr=err.decode(errors="replace"))
    return result


def _git_out(args: list[str], **kw) -> str:
    return run_git(args, **kw).stdout.decode(errors="replace").strip()


def _bare(repo: Path) -> list[str]:
    return ["--git-dir", str(Path(repo).absolute())]


# --- URLs and errors -------------------------------------------------------

_AUTH = re.compile(
    r"Authentication failed|could not read (Username|Password)|terminal prompts disabled"
    r"|returned error: (401|403)|HTTP Basic: Access denied|Invalid username or password",
    re.I)
_UNREACHABLE = re.compile(
    r"Could not resolve host|Failed to connect|Connection refused|Connection timed out"
    r"|Network is unreachable|No route to host|Operation timed out|SSL|TLS"
    r"|Couldn't connect|Connection reset|Empty reply from server|unable to access",
    re.I)
_NOT_A_REPO = re.compile(
    r"does not appear to be a git repository|not a git repository|does not exist"
    r"|not found|returned error: 404|not valid: is this a git repository"
    r"|dubious ownership|Could not read from remote repository",
    re.I)


def classify_clone_error(stderr: str) -> str:
    """Map git's stderr from a clone/fetch to a message key (order matters)."""
    for pattern, key in ((_AUTH, "git.auth_required"), (_NOT_A_REPO, "git.not_a_repo"),
                         (_UNREACHABLE, "git.unreachable")):
        if pattern.search(stderr or ""):
            return key
    return "git.clone_failed"


def _public_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return True  # a name; we do not resolve it here


def check_url(url: str) -> str:
    """Validate a clone source; return it normalised.

    Accepts public ``https://`` URLs, ``file://`` URLs and absolute local paths.

    Raises:
        GitError: ``git.url_invalid``, ``git.url_unsupported``,
            ``git.url_credentials`` or ``git.url_not_public``.
    """
    url = (url or "").strip()
    if not url or url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
        raise GitError("git.url_invalid")
    if url.startswith("/"):
        return url
    # "transport::address" (ext::, fd::) runs commands; scp-like "host:path" is ssh.
    if "::" in url.split("/", 1)[0] or re.match(r"^[^/:]+:(?!//)", url):
        raise GitError("git.url_unsupported")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise GitError("git.url_invalid")
        return url
    if scheme != "https":
        raise GitError("git.url_unsupported" if scheme else "git.url_invalid")
    if not parts.hostname:
        raise GitError("git.url_invalid")
    if parts.username or parts.password:
        raise GitError("git.url_credentials")
    if not _public_host(parts.hostname):
        raise GitError("git.url_not_public")
    return url


def pin_public_host(url: str) -> list[str]:
    """git options that pin an https URL's host to addresses checked to be public.

    Resolving here and handing curl the result (``http.curloptResolve``) means a
    name that resolves, or re-resolves, to a loopback or private address cannot
    make the server fetch from inside its own network; redirects are refused
    for the same reason. Other URLs need no options.

    Raises:
        GitError: ``git.url_not_public`` or ``git.unreachable`` (name unknown).
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        return []
    port = parts.port or 443
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise GitError("git.unreachable", stderr=str(exc)) from None
    addrs = sorted({info[4][0] for info in infos})
    if not addrs or not all(_public_host(a) for a in addrs):
        raise GitError("git.url_not_public")
    pinned = ",".join(f"[{a}]" if ":" in a else a for a in addrs)
    return ["-c", f"http.curloptResolve={parts.hostname}:{port}:{pinned}",
            "-c", "http.followRedirects=false"]


def check_branch_name(name: str) -> str:
    """Raise ``git.branch_invalid`` unless ``name`` is a valid branch name."""
    if not name or name.startswith("-") or run_git(
            ["check-ref-format", "--branch", name], check=False).returncode != 0:
        raise GitError("git.branch_invalid", branch=name)
    return name


# --- bare project repositories ---------------------------------------------

def _staging_dir(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    return dest.parent / f".tmp-{dest.name}-{uuid.uuid4().hex[:8]}"


def _publish_dir(tmp: Path, dest: Path) -> None:
    if dest.exists():
        raise GitError("git.dest_exists")
    os.rename(tmp, dest)


def clone_into(url: str, dest: Path, *, timeout: float = 600) -> None:
    """Clone ``url`` as a bare repository at ``dest``; nothing remains on failure.

    Raises:
        GitError: a ``git.url_*`` key for a refused URL; ``git.unreachable``,
            ``git.not_a_repo``, ``git.auth_required``, ``git.timeout`` or
            ``git.clone_failed`` when the clone fails.
    """
    url = check_url(url)
    if dest.exists():
        raise GitError("git.dest_exists")
    pinned = pin_public_host(url)
    tmp = _staging_dir(dest)
    try:
        # --no-local: go through upload-pack even for local sources, so no
        # hardlinks into, or alternates towards, a repository we do not own.
        res = run_git([*pinned, "clone", "--bare", "--no-local", "--template=", "--quiet",
                       "--", url, str(tmp)], timeout=timeout, check=False)
        if res.returncode != 0:
            err = res.stderr.decode(errors="replace")
            raise GitError(classify_clone_error(err), stderr=err)
        _publish_dir(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def init_empty(dest: Path, branch: str = "main") -> None:
    """Create a bare repository at ``dest`` whose ``branch`` has one empty commit."""
    check_branch_name(branch)
    if dest.exists():
        raise GitError("git.dest_exists")
    tmp = _staging_dir(dest)
    try:
        run_git(["init", "--bare", "--quiet", "--template=", "-b", branch, str(tmp)])
        # Plumbing instead of a temporary work tree: an empty tree and a commit.
        tree = _git_out(_bare(tmp) + ["mktree"], input=b"")
        sha = _git_out(_bare(tmp) + ["commit-tree", tree, "-m", "Initial commit"])
        run_git(_bare(tmp) + ["update-ref", f"refs/heads/{branch}", sha])
        _publish_dir(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def default_branch(repo: Path) -> str:
    """The branch HEAD names in a bare repository (may have no commits yet)."""
    out = run_git(_bare(repo) + ["symbolic-ref", "--quiet", "HEAD"], check=False)
    ref = out.stdout.decode().strip()
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else "main"


def branches(repo: Path) -> list[str]:
    """All branch names of a repository, sorted."""
    out = _git_out(_bare(repo) + ["for-each-ref", "--format=%(refname)", "refs/heads/"])
    return sorted(line.removeprefix("refs/heads/") for line in out.splitlines() if line)


def branch_exists(repo: Path, branch: str) -> bool:
    """Whether ``refs/heads/<branch>`` exists in ``repo``."""
    check_branch_name(branch)
    return run_git(_bare(repo) + ["rev-parse", "--verify", "--quiet",
                                  f"refs/heads/{branch}^{{commit}}"],
                   check=False).returncode == 0


def resolve(repo: Path, ref: str) -> str | None:
    """The commit sha ``ref`` names in ``repo``, or None."""
    if not ref or ref.startswith("-"):
        return None
    res = run_git(_bare(repo) + ["rev-parse", "--verify", "--quiet", "--end-of-options",
                                 f"{ref}^{{commit}}"], check=False)
    return res.stdout.decode().strip() if res.returncode == 0 else None


def recent_commits(repo: Path, ref: str, limit: int = 20) -> list[dict]:
    """Newest first: ``sha``, ``short``, ``author``, ``date`` (ISO 8601), ``subject``."""
    sha = resolve(repo, ref)
    if sha is None:
        return []
    out = _git_out(_bare(repo) + ["log", f"--max-count={int(limit)}",
                                  "--format=%H%x00%h%x00%an%x00%aI%x00%s", sha, "--"])
    keys = ("sha", "short", "author", "date", "subject")
    return [dict(zip(keys, line.split("\0"))) for line in out.splitlines() if line]
