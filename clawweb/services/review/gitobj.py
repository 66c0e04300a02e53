"""Plumbing over a project's bare repository: commits, trees, blobs.

Every call goes through :func:`clawweb.services.git.run_git` with an explicit
``--git-dir`` and ``--literal-pathspecs`` (a path from a task is a name, never
a glob). Paths are checked before they reach git; blobs are read with a size
cap, and large ones are copied to a private temporary file rather than held in
memory.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clawweb.services.git import GitError, run_git

SHA_RE = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
MAX_PATH = 4096
MODE_LINK = "120000"
MODE_GITLINK = "160000"
MODE_TREE = "040000"


@dataclass(frozen=True)
class Entry:
    """One tree entry: ``kind`` is ``dir``, ``file``, ``link`` or ``submodule``."""

    name: str
    path: str
    mode: str
    oid: str
    size: int
    kind: str


def git(repo: Path, *args: str, input: bytes | None = None, check: bool = True,
        timeout: float = 120, env: dict[str, str] | None = None, cwd: Path | None = None):
    """``run_git`` on the bare ``repo`` with literal pathspecs; the completed process."""
    return run_git(["--git-dir", str(Path(repo).absolute()), "--literal-pathspecs", *args],
                   input=input, check=check, timeout=timeout, env=env, cwd=cwd)


def out(repo: Path, *args: str, **kw) -> str:
    """stdout of :func:`git` as text, stripped."""
    return git(repo, *args, **kw).stdout.decode(errors="replace").strip()


def is_sha(value: str) -> bool:
    """Whether ``value`` is a full object id (SHA-1 or SHA-256, lower case)."""
    return bool(SHA_RE.match(value or ""))


def clean_path(path: str, *, allow_root: bool = False) -> str:
    """A repository path as git stores it (``a/b/c``), or ``review.path_invalid``.

    Refuses absolute paths, ``.``/``..``/empty components, NUL and control
    characters: a path from a browser must name exactly one tree entry.
    """
    path = (path or "").strip("/") if allow_root else (path or "")
    if not path:
        if allow_root:
            return ""
        raise GitError("review.path_invalid")
    parts = path.split("/")
    if (len(path) > MAX_PATH or path.startswith("/") or any(p in ("", ".", "..") for p in parts)
            or any(ord(c) < 32 or c == "\x7f" for c in path)):
        raise GitError("review.path_invalid")
    return path


def commit_of(repo: Path, rev: str) -> str | None:
    """The full commit id ``rev`` names (a sha or ``refs/heads/...``), or None."""
    if not rev or rev.startswith("-"):
        return None
    res = git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options",
              f"{rev}^{{commit}}", check=False)
    return res.stdout.decode().strip() if res.returncode == 0 else None


def branch_commit(repo: Path, branch: str) -> str | None:
    """The commit ``refs/heads/<branch>`` points at, or None."""
    return commit_of(repo, f"refs/heads/{branch}") if branch else None


def merge_base(repo: Path, a: str, b: str) -> str | None:
    """The best common ancestor of two commits, or None (unrelated histories)."""
    res = git(repo, "merge-base", "--end-of-options", a, b, check=False)
    return res.stdout.decode().strip() if res.returncode == 0 else None


def is_ancestor(repo: Path, a: str, b: str) -> bool:
    """Whether commit ``a`` is reachable from commit ``b``."""
    return git(repo, "merge-base", "--is-ancestor", "--end-of-options", a, b,
               check=False).returncode == 0


def empty_tree(repo: Path) -> str:
    """The id of the empty tree in this repository's hash."""
    return out(repo, "hash-object", "-t", "tree", "--stdin", input=b"")


def _kind(mode: str, otype: str) -> str:
    if otype == "tree":
        return "dir"
    if mode == MODE_LINK:
        return "link"
    if mode == MODE_GITLINK or otype == "commit":
        return "submodule"
    return "file"


def _parse_ls_tree(raw: bytes, prefix: str) -> list[Entry]:
    entries = []
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, otype, oid, size = meta.decode().split(None, 3)
        path = name.decode(errors="surrogateescape")
        short = path[len(prefix):] if prefix and path.startswith(prefix) else path
        entries.append(Entry(name=short, path=path, mode=mode, oid=oid,
                             size=int(size) if size.strip().isdigit() else 0,
                             kind=_kind(mode, otype)))
    return entries


def entry(repo: Path, commit: str, path: str) -> Entry | None:
    """The tree entry at ``path`` in ``commit``, or None."""
    path = clean_path(path)
    res = git(repo, "ls-tree", "-z", "-l", "--full-tree", "--end-of-options", commit,
              "--", path, check=False)
    if res.returncode != 0:
        return None
    found = [e for e in _parse_ls_tree(res.stdout, "") if e.path == path]
    return found[0] if found else None


def list_dir(repo: Path, commit: str, path: str = "") -> list[Entry] | None:
    """The entries of the directory ``path`` (root for ""), or None when it is no directory."""
    path = clean_path(path, allow_root=True)
    if path:
        found = entry(repo, commit, path)
        if found is None or found.kind != "dir":
            return None
    args = ["ls-tree", "-z", "-l", "--full-tree", "--end-of-options", commit]
    if path:
        args += ["--", path + "/"]
    res = git(repo, *args, check=False)
    if res.returncode != 0:
        return None
    return _parse_ls_tree(res.stdout, path + "/" if path else "")


def blob_size(repo: Path, oid: str) -> int:
    """The size in bytes of blob ``oid``."""
    return int(out(repo, "cat-file", "-s", oid))


def blob_to_file(repo: Path, oid: str, directory: Path) -> Path:
    """Copy blob ``oid`` into a new file in ``directory`` (which we own); its path.

    ``git unpack-file`` writes the raw blob (no filters, no conversion) to a
    temporary name in its working directory, so a large file never passes
    through this process's memory.
    """
    name = out(repo, "unpack-file", oid, cwd=directory, timeout=600)
    if not name or "/" in name:
        raise GitError("git.failed")
    return Path(directory) / name


def read_blob(repo: Path, oid: str, max_bytes: int) -> tuple[bytes, int]:
    """At most ``max_bytes`` of blob ``oid`` and its full size."""
    size = blob_size(repo, oid)
    if size <= max_bytes:
        return git(repo, "cat-file", "blob", oid).stdout, size
    tmp = Path(tempfile.mkdtemp(prefix="clawweb-blob-"))
    try:
        with blob_to_file(repo, oid, tmp).open("rb") as f:
            return f.read(max_bytes), size
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
