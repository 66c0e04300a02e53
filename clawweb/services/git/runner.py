"""Every host-side git call in clawweb, hardened against hostile repositories.

A task's container can write anything into its working copy, ``.git`` included:
hooks, ``core.fsmonitor``, ``core.hooksPath``, filter drivers, ``core.worktree``,
alternates pointing at host repositories, symlinks pointing outside. Host git
must never run or follow any of it. Two layers make sure of that:

* :func:`run_git` runs git with an empty environment of our own, no system or
  global config, and command-line overrides (the highest-precedence config) for
  every setting that names a program.
* ``worker.git_workdir.neutralize`` rewrites a working copy's
  ``.git`` to a trusted state before host git touches it, because filters,
  includes and ``core.worktree`` cannot be switched off from the command line.

This module holds the hardened runner; the package's other modules build on
it (``urls``: which clone sources are allowed; ``repos``: the bare project
repositories; ``refs``: branches and commits), and task working copies live
on the worker's side, in ``worker/git_workdir.py``.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import tempfile
from pathlib import Path

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


def git_out(args: list[str], **kw) -> str:
    """``run_git``'s stdout as stripped text."""
    return run_git(args, **kw).stdout.decode(errors="replace").strip()


def bare(repo: Path) -> list[str]:
    """The arguments that point git at the bare repository ``repo``."""
    return ["--git-dir", str(Path(repo).absolute())]
