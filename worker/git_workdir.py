"""Task working copies (the worker's side of host git), hardened against hostility.

Only the worker touches working copies (``worker/workspace.py``); the web
side reads a task's result from the project's bare repository.

A task's container can write anything into its working copy, ``.git`` included.
Before host git touches one, :func:`neutralize` resets its ``.git`` to a
trusted state; git then runs through :func:`clawweb.services.git.run_git` with
an explicit git dir and work tree, and files are read without following
symlinks, so nothing the container planted is ever run or followed.
"""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from pathlib import Path

# One spelling of the hardened invocation for bare repositories and working
# copies alike: the runner's helpers, not a copy of them.
from clawweb.services.git import (DEFAULT_AUTHOR, GitError, bare, check_branch_name,
                                  default_branch, git_out, heads, run_git)

# The whole .git/config of a working copy after neutralize(): nothing that names
# a program, a path or a remote survives. The identity lets the task's own
# `git commit` work in the container (its image has none); those commits are
# published like clawweb's own.
TRUSTED_WORKDIR_CONFIG = f"""\
[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
\tlogallrefupdates = true
[user]
\tname = {DEFAULT_AUTHOR[0]}
\temail = {DEFAULT_AUTHOR[1]}
"""

# Files inside .git that make git read or run something outside the repository.
_REMOVE_IN_GITDIR = (
    "info/attributes", "info/sparse-checkout", "objects/info/alternates",
    "objects/info/http-alternates", "commondir", "config.worktree", "info/grafts",
    "shallow",
)


def _wt(workdir: Path) -> list[str]:
    # Explicit git dir and work tree: never discover a repository upwards, and
    # never honour a core.worktree from the working copy's config.
    workdir = Path(workdir).absolute()
    return ["--git-dir", str(workdir / ".git"), "--work-tree", str(workdir)]


def _refuse_links_in(gitdir: Path) -> None:
    # Legit git never puts a symlink inside .git; a hostile one (objects/ab ->
    # /host/dir) would make host git write or read outside the working copy.
    for root, dirs, files in os.walk(gitdir, followlinks=False):
        for name in dirs + files:
            if os.path.islink(os.path.join(root, name)):
                raise GitError("git.workdir_unsafe", path=os.path.join(root, name))


def neutralize(workdir: Path, *, trusted_config: str | None = None) -> None:
    """Return a task working copy's ``.git`` to a state host git can trust.

    Rewrites ``.git/config`` from ``trusted_config`` (default
    :data:`TRUSTED_WORKDIR_CONFIG`), empties ``.git/hooks`` and removes files
    that point git elsewhere (alternates, commondir, info/attributes).

    Raises:
        GitError: ``git.workdir_unsafe`` when the working copy or ``.git`` is a
            symlink, ``.git`` is a gitfile, or ``.git`` contains a symlink.
    """
    workdir = Path(workdir)
    gitdir = workdir / ".git"
    if workdir.is_symlink() or not workdir.is_dir():
        raise GitError("git.workdir_unsafe", path=str(workdir))
    if gitdir.is_symlink() or not gitdir.is_dir():
        raise GitError("git.workdir_unsafe", path=str(gitdir))
    _refuse_links_in(gitdir)
    try:
        _reset_gitdir(gitdir, trusted_config)
    except OSError as exc:  # e.g. a directory where .git/config should be
        raise GitError("git.workdir_unsafe", path=str(gitdir)) from exc


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _reset_gitdir(gitdir: Path, trusted_config: str | None) -> None:
    config = gitdir / "config"
    tmp = gitdir / f"config.clawweb-{uuid.uuid4().hex[:8]}"
    tmp.write_text(trusted_config if trusted_config is not None else TRUSTED_WORKDIR_CONFIG)
    os.replace(tmp, config)  # replaces whatever was there, never writes through it
    _remove(gitdir / "hooks")
    (gitdir / "hooks").mkdir()
    for rel in _REMOVE_IN_GITDIR:
        _remove(gitdir / rel)


def prepare_workdir(repo: Path, workdir: Path, *, base_branch: str,
                    task_branch: str) -> str | None:
    """Clone the bare project ``repo`` into ``workdir`` on ``task_branch``.

    An existing ``task_branch`` in ``repo`` is continued; otherwise it starts
    from ``base_branch``. A repository without commits gets an unborn branch.
    ``workdir`` must not exist or be empty; on failure it is removed.

    Returns:
        The sha of ``base_branch`` (for :func:`diff_stat`), or None without commits.

    Raises:
        GitError: ``git.branch_missing`` when the base branch does not exist.
    """
    check_branch_name(base_branch)
    check_branch_name(task_branch)
    workdir = Path(workdir)
    if workdir.exists() and any(workdir.iterdir()):
        raise GitError("git.dest_exists")
    # One git call for all three questions (this is on the path to a task's first line).
    found = heads(repo)
    base_sha, has_task = found.get(base_branch) or None, bool(found.get(task_branch))
    if base_sha is None and not has_task and found:
        raise GitError("git.branch_missing", branch=base_branch)
    try:
        run_git(["clone", "--no-local", "--no-checkout", "--template=", "--quiet",
                 "--", str(repo), str(workdir)])
        neutralize(workdir)
        if has_task or base_sha:
            start = f"refs/remotes/origin/{task_branch if has_task else base_branch}"
            run_git(_wt(workdir) + ["checkout", "--quiet", "-B", task_branch, start],
                    cwd=workdir)
        else:
            run_git(_wt(workdir) + ["symbolic-ref", "HEAD", f"refs/heads/{task_branch}"])
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return base_sha


def commit_all(workdir: Path, message: str, *, author_name: str = DEFAULT_AUTHOR[0],
               author_email: str = DEFAULT_AUTHOR[1]) -> str | None:
    """Commit every change in a (possibly hostile) working copy.

    Returns:
        The new commit's sha, or None when nothing changed.
    """
    workdir = Path(workdir)
    neutralize(workdir)
    wt = _wt(workdir)
    # A fresh index: the container may have planted skip-worktree bits,
    # sparse entries or a crafted index file.
    (workdir / ".git" / "index").unlink(missing_ok=True)
    res = run_git(wt + ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], check=False)
    head_sha = res.stdout.decode().strip() if res.returncode == 0 else None
    if head_sha:
        run_git(wt + ["read-tree", head_sha], cwd=workdir)
    run_git(wt + ["add", "--all", "--", "."], cwd=workdir, timeout=600)
    tree = git_out(wt + ["write-tree"], cwd=workdir)
    if head_sha and tree == git_out(wt + ["rev-parse", f"{head_sha}^{{tree}}"]):
        return None
    if not head_sha and tree == git_out(wt + ["mktree"], input=b""):
        return None
    # The committer stays run_git's own identity (clawweb).
    ident = {"GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": author_email}
    parents = ["-p", head_sha] if head_sha else []
    sha = git_out(wt + ["commit-tree", tree, *parents, "-F", "-"],
                   input=message.encode(), env=ident)
    # Moves whatever branch HEAD names (or HEAD itself when detached).
    run_git(wt + ["update-ref", "-m", "clawweb commit", "HEAD", sha])
    return sha


def diff_stat(workdir: Path, base: str | None, head: str = "HEAD") -> tuple[int, int, int]:
    """(files changed, insertions, deletions) between ``base`` and ``head``.

    ``base`` None counts against the empty tree (a repository that had no
    commits before the task).
    """
    workdir = Path(workdir)
    neutralize(workdir)
    if base is None:
        base = git_out(_wt(workdir) + ["mktree"], input=b"")
    if not base or base.startswith("-") or head.startswith("-"):
        raise GitError("git.failed")
    out = git_out(_wt(workdir) + ["diff", "--numstat", "--no-ext-diff", "--no-textconv",
                                   "--ignore-submodules=all", "--no-renames",
                                   base, head, "--"], cwd=workdir)
    files = ins = dels = 0
    for line in out.splitlines():
        added, deleted, _path = line.split("\t", 2)
        files += 1
        ins += int(added) if added.isdigit() else 0  # "-" for binary files
        dels += int(deleted) if deleted.isdigit() else 0
    return files, ins, dels


def head(workdir: Path) -> str | None:
    """The commit sha HEAD names in a working copy, or None before the first commit.

    Compare it with the base sha: an agent may have committed inside the
    container, leaving nothing for :func:`commit_all` to do.
    """
    workdir = Path(workdir)
    neutralize(workdir)
    res = run_git(_wt(workdir) + ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
                  check=False)
    return res.stdout.decode().strip() if res.returncode == 0 else None


def publish_branch(workdir: Path, repo: Path, branch: str) -> str:
    """Copy the working copy's HEAD into ``repo`` as ``refs/heads/<branch>``.

    The bare repository fetches from the working copy, so git runs with the
    project repository's (trusted) config; pushing from the working copy would
    read its config, where ``remote.*.receivepack`` or ``url.*.insteadOf``
    could name any program or place. Received objects are fsck-checked.

    Returns:
        The published commit sha.

    Raises:
        GitError: ``git.branch_protected`` for the repository's default branch,
            which a task never overwrites.
    """
    check_branch_name(branch)
    if branch == default_branch(repo):
        raise GitError("git.branch_protected", branch=branch)
    workdir = Path(workdir)
    neutralize(workdir)
    sha = git_out(_wt(workdir) + ["rev-parse", "--verify", "HEAD^{commit}"])
    run_git(bare(repo) + ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
                           "--", str(workdir.absolute()), f"+{sha}:refs/heads/{branch}"],
            timeout=600)
    return sha


def collect_files(workdir: Path, *, limit: int = 10000) -> list[str]:
    """Relative paths of regular files in a working copy, never through a symlink.

    ``.git`` is skipped; symlinks are neither listed nor followed.
    """
    root = Path(workdir)
    found: list[str] = []
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".git"
                         and not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(files):
            full = os.path.join(dirpath, name)
            if not os.path.islink(full) and os.path.isfile(full):
                found.append(os.path.relpath(full, root))
                if len(found) >= limit:
                    return found
    return found


def read_workdir_file(workdir: Path, relpath: str, *, max_bytes: int = 1 << 20) -> bytes:
    """Read a regular file of a working copy without following any symlink.

    Walks down through directory fds opened with ``O_NOFOLLOW`` (no check-then-open
    gap) and opens the file non-blocking, so a FIFO cannot hold the reader.

    Raises:
        GitError: ``git.workdir_unsafe`` for a path leaving the working copy,
            passing through a symlink, or naming anything but a regular file.
    """
    parts = Path(relpath).parts
    if Path(relpath).is_absolute() or ".." in parts or not parts:
        raise GitError("git.workdir_unsafe", path=relpath)
    dir_flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    fds = [os.open(Path(workdir).resolve(), dir_flags)]
    try:
        for part in parts[:-1]:
            fds.append(os.open(part, dir_flags, dir_fd=fds[-1]))
        fds.append(os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
                           | os.O_NOCTTY | os.O_CLOEXEC, dir_fd=fds[-1]))
        if not stat.S_ISREG(os.fstat(fds[-1]).st_mode):
            raise GitError("git.workdir_unsafe", path=relpath)
        with os.fdopen(os.dup(fds[-1]), "rb") as f:
            return f.read(max_bytes)
    except OSError as exc:  # ELOOP (a link), ENOTDIR, ENOENT
        raise GitError("git.workdir_unsafe", path=relpath) from exc
    finally:
        for fd in fds:
            os.close(fd)
