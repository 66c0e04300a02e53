"""Ship a branch inside the bare repository: merge, discard, export. No working tree.

A merge is computed with ``git merge-tree --write-tree`` (the merged tree, or
the conflicting paths), turned into a commit with ``commit-tree`` and
published with ``update-ref <ref> <new> <old>``: git moves the ref only if it
still points where we looked, so a merge racing another merge (or a push)
fails with ``review.target_moved`` instead of dropping someone's commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clawweb.services.git import GitError, check_branch_name
from clawweb.services.review import gitobj

STRATEGIES = ("ff", "merge", "squash")


class MergeConflict(GitError):
    """The branch does not merge cleanly; ``files`` are the paths in conflict."""

    def __init__(self, files: list[str]):
        super().__init__("review.conflict", count=len(files))
        self.files = files


@dataclass(frozen=True)
class MergeResult:
    sha: str  # the default branch's new tip
    old_target: str  # its tip before
    strategy: str


def _identity(author: tuple[str, str]) -> dict[str, str]:
    # Only the author: the committer stays run_git's default, clawweb.
    return {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1]}


def conflicts(repo: Path, target: str, head: str) -> tuple[str | None, list[str]]:
    """The merged tree of two commits, or (None, the conflicting paths).

    Raises:
        GitError: ``review.unrelated`` when the commits share no history.
    """
    res = gitobj.git(repo, "merge-tree", "--write-tree", "-z", "--name-only",
                     "--no-messages", target, head, check=False, timeout=300)
    fields = [f.decode(errors="surrogateescape") for f in res.stdout.split(b"\0") if f]
    if res.returncode == 0 and fields:
        return fields[0], []
    if res.returncode == 1 and fields:
        return None, sorted(dict.fromkeys(fields[1:]))
    if b"unrelated histories" in res.stderr:
        raise GitError("review.unrelated")
    raise GitError("git.failed", stderr=res.stderr.decode(errors="replace"))


def _publish(repo: Path, branch: str, new: str, old: str, reason: str) -> None:
    res = gitobj.git(repo, "update-ref", "-m", reason, f"refs/heads/{branch}", new, old,
                     check=False)
    if res.returncode != 0:
        raise GitError("review.target_moved", branch=branch)


def _new_commit(repo: Path, tree: str, parents: list[str], message: str,
                author: tuple[str, str]) -> str:
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    return gitobj.out(repo, *args, "-F", "-", input=message.encode(), env=_identity(author))


def merge(repo: Path, *, target: str, head: str, strategy: str, message: str,
          author: tuple[str, str], expected_target: str | None = None) -> MergeResult:
    """Bring commit ``head`` into branch ``target``.

    Args:
        repo: The bare project repository.
        target: The branch to move (the project's default branch).
        head: The reviewed commit (the task branch's tip when it was shown).
        strategy: ``ff`` (only if ``target`` is an ancestor), ``merge`` (a merge
            commit, always) or ``squash`` (one commit, one parent).
        message: Commit message for ``merge`` and ``squash``.
        author: (name, email) of the person merging.
        expected_target: The target's tip the caller saw; a different tip
            refuses (``review.target_moved``).

    Raises:
        MergeConflict: the branch does not merge cleanly.
        GitError: ``review.strategy_invalid``, ``review.target_moved``,
            ``review.already_merged``, ``review.not_fast_forward``,
            ``review.unrelated``, ``git.branch_missing``.
    """
    if strategy not in STRATEGIES:
        raise GitError("review.strategy_invalid")
    check_branch_name(target)
    old = gitobj.branch_commit(repo, target)
    if old is None:
        raise GitError("git.branch_missing", branch=target)
    if expected_target and expected_target != old:
        raise GitError("review.target_moved", branch=target)
    if gitobj.is_ancestor(repo, head, old):
        raise GitError("review.already_merged")
    if strategy == "ff":
        if not gitobj.is_ancestor(repo, old, head):
            raise GitError("review.not_fast_forward", branch=target)
        new = head
    else:
        tree, files = conflicts(repo, old, head)
        if tree is None:
            raise MergeConflict(files)
        parents = [old, head] if strategy == "merge" else [old]
        new = _new_commit(repo, tree, parents, message, author)
    _publish(repo, target, new, old, f"clawweb {strategy}")
    return MergeResult(sha=new, old_target=old, strategy=strategy)


def discard(repo: Path, *, branch: str, expected: str, protected: str) -> None:
    """Delete ``refs/heads/<branch>`` if it still points at ``expected``.

    Raises:
        GitError: ``git.branch_protected`` for the default branch,
            ``review.branch_moved`` when the branch moved (or is gone).
    """
    check_branch_name(branch)
    if branch == protected:
        raise GitError("git.branch_protected", branch=branch)
    res = gitobj.git(repo, "update-ref", "-m", "clawweb discard", "-d",
                     f"refs/heads/{branch}", expected, check=False)
    if res.returncode != 0:
        raise GitError("review.branch_moved", branch=branch)


def export_patch(repo: Path, *, base: str, head: str, directory: Path) -> Path:
    """``git format-patch`` of ``base..head`` as one mbox file in ``directory``."""
    parts = directory / "parts"
    parts.mkdir()
    gitobj.git(repo, "format-patch", "--binary", "--signature=clawweb", "-o", str(parts),
               "--end-of-options", f"{base}..{head}", timeout=600)
    dest = directory / "changes.patch"
    with dest.open("wb") as outfile:
        for part in sorted(parts.iterdir()):
            with part.open("rb") as infile:
                while chunk := infile.read(1 << 20):
                    outfile.write(chunk)
    return dest


def export_bundle(repo: Path, *, branch: str, base: str | None, directory: Path) -> Path:
    """A ``git bundle`` of ``branch`` (commits after ``base`` only, when given).

    Raises:
        GitError: ``review.nothing_to_export`` when the branch adds nothing.
    """
    check_branch_name(branch)
    dest = directory / "changes.bundle"
    args = ["bundle", "create", "--quiet", str(dest), f"refs/heads/{branch}"]
    if base:
        args.append(f"^{base}")
    res = gitobj.git(repo, *args, check=False, timeout=600)
    if res.returncode != 0:
        if b"empty bundle" in res.stderr:
            raise GitError("review.nothing_to_export")
        raise GitError("git.failed", stderr=res.stderr.decode(errors="replace"))
    return dest
