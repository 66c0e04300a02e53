"""The bare project repositories under ``settings.repos_dir``: clone one, or start
one empty; either appears whole at its path or not at all."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from clawweb.services.git.refs import check_branch_name
from clawweb.services.git.runner import GitError, bare, git_out, run_git
from clawweb.services.git.urls import check_url, classify_clone_error, pin_public_host


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
        tree = git_out(bare(tmp) + ["mktree"], input=b"")
        sha = git_out(bare(tmp) + ["commit-tree", tree, "-m", "Initial commit"])
        run_git(bare(tmp) + ["update-ref", f"refs/heads/{branch}", sha])
        _publish_dir(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
