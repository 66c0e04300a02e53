"""The file browser's model: directories and files of a commit, from git objects.

A file is classified before anything is shown: an image (png/jpg/gif/webp,
shown through the download route), text (the first ``MAX_VIEW_BYTES``, the
rest behind a download link), binary, a symlink (its target text, never
followed) or a submodule.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clawweb.services.git import GitError
from clawweb.services.review import gitobj
from clawweb.services.review.diff import image_type

MAX_VIEW_BYTES = 256 * 1024
MAX_VIEW_LINES = 5000
MAX_ENTRIES = 2000
_KIND_ORDER = {"dir": 0, "submodule": 1, "file": 2, "link": 2}


@dataclass(frozen=True)
class FileView:
    """A file as the browser shows it; ``text`` only for ``kind`` text/markdown/link."""

    path: str
    kind: str  # text | markdown | image | binary | link | submodule
    size: int
    text: str = ""
    truncated: bool = False
    content_type: str = ""


def listing(repo: Path, commit: str, path: str = "") -> tuple[list[gitobj.Entry], bool]:
    """A directory's entries (directories first, then by name) and whether it was cut.

    Raises:
        GitError: ``review.not_found`` when ``path`` is no directory in ``commit``.
    """
    entries = gitobj.list_dir(repo, commit, path)
    if entries is None:
        raise GitError("review.not_found")
    entries.sort(key=lambda e: (_KIND_ORDER.get(e.kind, 3), e.name.lower(), e.name))
    return entries[:MAX_ENTRIES], len(entries) > MAX_ENTRIES


def _looks_binary(data: bytes) -> bool:
    # git's own test: a NUL in the first 8000 bytes.
    return b"\0" in data[:8000]


def _trim_lines(text: str) -> tuple[str, bool]:
    lines = text.split("\n")
    if len(lines) <= MAX_VIEW_LINES:
        return text, False
    return "\n".join(lines[:MAX_VIEW_LINES]), True


def view_file(repo: Path, commit: str, path: str) -> FileView:
    """What the browser shows for ``path`` in ``commit``.

    Raises:
        GitError: ``review.not_found`` when there is no such file (or it is a directory).
    """
    found = gitobj.entry(repo, commit, path)
    if found is None or found.kind == "dir":
        raise GitError("review.not_found")
    if found.kind == "submodule":
        return FileView(path=found.path, kind="submodule", size=0, text=found.oid)
    if found.kind == "link":
        target, _ = gitobj.read_blob(repo, found.oid, gitobj.MAX_PATH)
        return FileView(path=found.path, kind="link", size=found.size,
                        text=target.decode(errors="replace"))
    picture = image_type(found.path)
    if picture:
        return FileView(path=found.path, kind="image", size=found.size, content_type=picture)
    data, size = gitobj.read_blob(repo, found.oid, MAX_VIEW_BYTES)
    if _looks_binary(data):
        return FileView(path=found.path, kind="binary", size=size)
    text, cut = _trim_lines(data.decode("utf-8", errors="replace"))
    kind = "markdown" if found.path.lower().endswith((".md", ".markdown")) else "text"
    return FileView(path=found.path, kind=kind, size=size, text=text,
                    truncated=cut or size > len(data))


def blob_for_download(repo: Path, commit: str, path: str) -> gitobj.Entry:
    """The blob entry a download serves: a regular file or a link's target text.

    Raises:
        GitError: ``review.not_found`` for a missing path, a directory or a submodule.
    """
    found = gitobj.entry(repo, commit, path)
    if found is None or found.kind not in ("file", "link"):
        raise GitError("review.not_found")
    return found
