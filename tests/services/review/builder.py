"""Build real bare repositories with task branches for the review tests (plain git)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from clawweb.services import git

ENV = {"GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.invalid",
       "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.invalid",
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
       "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"}


class Link(str):
    """A symlink to write: its target text."""


class RepoBuilder:
    """A bare project repository plus a scratch clone that commits and pushes into it."""

    def __init__(self, root: Path, branch: str = "main", bare: Path | None = None):
        """A new bare repository under ``root`` (or the existing ``bare`` one)."""
        self.bare = bare or root / "repos" / "proj.git"
        if bare is None:
            git.init_empty(self.bare, branch=branch)
        self.work = root / f"scratch-{self.bare.stem}"
        self._git_at(root, "clone", "-q", str(self.bare), str(self.work))
        self.default = branch

    def _git_at(self, cwd: Path, *args: str) -> str:
        res = subprocess.run(["git", *args], cwd=cwd, env=ENV, capture_output=True, check=True)
        return res.stdout.decode().strip()

    def git(self, *args: str) -> str:
        return self._git_at(self.work, *args)

    def commit(self, branch: str, files: dict, message: str = "change",
               start: str | None = None) -> str:
        """Commit ``files`` ({path: bytes | str | Link | None (delete)}) on ``branch``."""
        self.git("fetch", "-q", "--prune", "origin")  # others (clawweb) may have moved it
        existing = self.git("branch", "-a", "--list", branch, f"origin/{branch}")
        if existing:
            self.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        else:
            self.git("checkout", "-q", "-B", branch, f"origin/{start or self.default}")
        for path, content in files.items():
            target = self.work / path
            if content is None:
                self.git("rm", "-q", "--", path)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            if isinstance(content, Link):
                os.symlink(str(content), target)
            elif isinstance(content, str):
                target.write_text(content)
            else:
                target.write_bytes(content)
            self.git("add", "--", path)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        self.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        self.git("fetch", "-q", "origin")
        return self.git("rev-parse", "HEAD")

    def rename(self, branch: str, old: str, new: str, message: str = "rename") -> str:
        self.git("fetch", "-q", "--prune", "origin")
        self.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        self.git("mv", "--", old, new)
        self.git("commit", "-q", "-m", message)
        self.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        self.git("fetch", "-q", "origin")
        return self.git("rev-parse", "HEAD")

    def tip(self, branch: str) -> str:
        return git.resolve(self.bare, f"refs/heads/{branch}") or ""
