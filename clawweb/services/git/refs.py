"""Branch names, branches and commits of a bare repository."""

from __future__ import annotations

from pathlib import Path

from clawweb.services.git.runner import GitError, bare, git_out, run_git


def check_branch_name(name: str) -> str:
    """Raise ``git.branch_invalid`` unless ``name`` is a valid branch name."""
    if not name or name.startswith("-") or run_git(
            ["check-ref-format", "--branch", name], check=False).returncode != 0:
        raise GitError("git.branch_invalid", branch=name)
    return name


def default_branch(repo: Path) -> str:
    """The branch HEAD names in a bare repository (may have no commits yet)."""
    out = run_git(bare(repo) + ["symbolic-ref", "--quiet", "HEAD"], check=False)
    ref = out.stdout.decode().strip()
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else "main"


def branches(repo: Path) -> list[str]:
    """All branch names of a repository, sorted."""
    return sorted(heads(repo))


def heads(repo: Path) -> dict[str, str]:
    """Every branch of ``repo`` and the commit it names, in one git call.

    A branch naming something other than a commit maps to "" (it exists, but
    ``resolve`` and ``branch_exists`` would not take it).
    """
    out = git_out(bare(repo) + ["for-each-ref", "--format=%(objecttype) %(objectname) %(refname)",
                                 "refs/heads/"])
    found = {}
    for line in out.splitlines():
        kind, sha, ref = line.split(" ", 2)
        found[ref.removeprefix("refs/heads/")] = sha if kind == "commit" else ""
    return found


def branch_exists(repo: Path, branch: str) -> bool:
    """Whether ``refs/heads/<branch>`` exists in ``repo``."""
    check_branch_name(branch)
    return run_git(bare(repo) + ["rev-parse", "--verify", "--quiet",
                                  f"refs/heads/{branch}^{{commit}}"],
                   check=False).returncode == 0


def resolve(repo: Path, ref: str) -> str | None:
    """The commit sha ``ref`` names in ``repo``, or None."""
    if not ref or ref.startswith("-"):
        return None
    res = run_git(bare(repo) + ["rev-parse", "--verify", "--quiet", "--end-of-options",
                                 f"{ref}^{{commit}}"], check=False)
    return res.stdout.decode().strip() if res.returncode == 0 else None


def recent_commits(repo: Path, ref: str, limit: int = 20) -> list[dict]:
    """Newest first: ``sha``, ``short``, ``author``, ``date`` (ISO 8601), ``subject``."""
    sha = resolve(repo, ref)
    if sha is None:
        return []
    out = git_out(bare(repo) + ["log", f"--max-count={int(limit)}",
                                  "--format=%H%x00%h%x00%an%x00%aI%x00%s", sha, "--"])
    keys = ("sha", "short", "author", "date", "subject")
    return [dict(zip(keys, line.split("\0"))) for line in out.splitlines() if line]
