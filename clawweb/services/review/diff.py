"""What a branch changed: files with +/−, each file's patch in windows, its commits.

Read from git objects only (``git diff <base> <head>`` in the bare repository).
A file's patch is parsed into lines and served in windows of ``WINDOW`` lines,
so a huge diff is paged rather than sent whole; files whose blobs are larger
than ``MAX_PATCH_BLOB`` are not diffed at all (the page offers a download).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from clawweb.services.review import gitobj

MAX_FILES = 5000
WINDOW = 400
MAX_PATCH_BLOB = 8 * 1024 * 1024
MAX_COMMITS = 200
MAX_MESSAGE = 4000
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
               "gif": "image/gif", "webp": "image/webp"}
_STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied",
           "T": "type_changed"}
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_DIFF_OPTS = ("--no-ext-diff", "--no-textconv", "--no-color", "--ignore-submodules=none",
              "--find-renames", "--no-abbrev")


@dataclass(frozen=True)
class FileChange:
    """One changed file between two commits."""

    path: str
    old_path: str
    status: str
    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str
    additions: int = 0
    deletions: int = 0
    binary: bool = False
    similarity: int = 0
    kind: str = "text"  # text | binary | image | symlink | submodule

    def as_dict(self) -> dict:
        """A plain dict of the fields (for read models)."""
        return asdict(self)


@dataclass
class PatchWindow:
    """Lines ``start``..``start+len(lines)`` of one file's patch.

    Each line is ``(kind, old_no, new_no, text)``: kind ``@`` (hunk header),
    ``+``, ``-``, `` `` (context) or ``\\`` (no newline at end of file); line
    numbers are 0 where they do not apply.
    """

    lines: list[tuple[str, int, int, str]] = field(default_factory=list)
    start: int = 0
    total: int = 0
    too_large: bool = False


def image_type(path: str) -> str:
    """The image content type of a path shown as a picture (png/jpg/gif/webp), or ""."""
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return IMAGE_TYPES.get(ext, "")


def _file_kind(path: str, old_mode: str, new_mode: str, binary: bool) -> str:
    if gitobj.MODE_LINK in (old_mode, new_mode):
        return "symlink"
    if gitobj.MODE_GITLINK in (old_mode, new_mode):
        return "submodule"
    if binary:
        return "image" if image_type(path) else "binary"
    return "text"


def _take(fields: list[bytes], i: int) -> tuple[str, int]:
    return fields[i].decode(errors="surrogateescape"), i + 1


def _parse_raw(fields: list[bytes], i: int) -> tuple[dict, int]:
    meta = fields[i].decode()[1:].split(" ")
    old_mode, new_mode, old_oid, new_oid, status = meta[:5]
    i += 1
    path, i = _take(fields, i)
    old_path = ""
    if status[0] in "RC":
        old_path, path = path, fields[i].decode(errors="surrogateescape")
        i += 1
    return {"path": path, "old_path": old_path, "status": _STATUS.get(status[0], "modified"),
            "old_mode": old_mode, "new_mode": new_mode, "old_oid": old_oid,
            "new_oid": new_oid, "similarity": int(status[1:] or 0)}, i


def _parse_numstat(fields: list[bytes], i: int) -> tuple[tuple[str, str], int]:
    added, deleted, rest = fields[i].decode(errors="surrogateescape").split("\t", 2)
    i += 1
    if rest == "":  # a rename: the two paths follow as their own fields
        i += 2
    return (added, deleted), i


def changed_files(repo: Path, base: str, head: str) -> tuple[list[FileChange], bool]:
    """Files changed from ``base`` to ``head`` (commit or tree ids), renames detected.

    Returns:
        (changes in git's order, whether the list was cut at ``MAX_FILES``).
    """
    raw = gitobj.git(repo, "diff", "--raw", "--numstat", "-z", *_DIFF_OPTS,
                     "--end-of-options", base, head, "--", timeout=300).stdout
    fields = raw.split(b"\0")
    records, i = [], 0
    while i < len(fields) and fields[i].startswith(b":"):
        record, i = _parse_raw(fields, i)
        records.append(record)
    changes = []
    for record in records:
        (added, deleted), i = _parse_numstat(fields, i)
        binary = added == "-"
        kind = _file_kind(record["path"], record["old_mode"], record["new_mode"], binary)
        changes.append(FileChange(**record, binary=binary, kind=kind,
                                  additions=int(added) if added.isdigit() else 0,
                                  deletions=int(deleted) if deleted.isdigit() else 0))
    return changes[:MAX_FILES], len(changes) > MAX_FILES


def _blob_sizes(repo: Path, change: FileChange) -> int:
    sizes = [gitobj.blob_size(repo, oid) for oid, mode in
             ((change.old_oid, change.old_mode), (change.new_oid, change.new_mode))
             if set(oid) != {"0"} and mode not in (gitobj.MODE_GITLINK,)]
    return max(sizes or [0])


def _parse_patch(raw: bytes) -> list[tuple[str, int, int, str]]:
    lines: list[tuple[str, int, int, str]] = []
    old_no = new_no = 0
    in_hunk = False
    for line in raw.split(b"\n"):
        match = _HUNK.match(line)
        if match:
            in_hunk = True
            old_no, new_no = int(match.group(1)), int(match.group(3))
            lines.append(("@", 0, 0, line.decode(errors="replace")))
            continue
        if not in_hunk or not line:
            continue  # headers before the first hunk; the split's last empty piece
        sign, text = chr(line[0]), line[1:].decode(errors="replace")
        if sign == "+":
            lines.append(("+", 0, new_no, text))
            new_no += 1
        elif sign == "-":
            lines.append(("-", old_no, 0, text))
            old_no += 1
        elif sign == " ":
            lines.append((" ", old_no, new_no, text))
            old_no, new_no = old_no + 1, new_no + 1
        elif sign == "\\":
            lines.append(("\\", 0, 0, text.strip()))
        else:
            in_hunk = False  # the next file's header (never here: one file per call)
    return lines


def patch_lines(repo: Path, base: str, head: str, change: FileChange) -> PatchWindow:
    """The whole parsed patch of one file (``too_large`` when its blobs exceed the cap)."""
    if change.binary or change.kind == "submodule":
        return PatchWindow()
    if _blob_sizes(repo, change) > MAX_PATCH_BLOB:
        return PatchWindow(too_large=True)
    paths = [p for p in (change.old_path, change.path) if p]
    raw = gitobj.git(repo, "diff", *_DIFF_OPTS, "-U3", "--end-of-options", base, head,
                     "--", *paths, timeout=300).stdout
    lines = _parse_patch(raw)
    return PatchWindow(lines=lines, start=0, total=len(lines))


def patch_window(repo: Path, base: str, head: str, change: FileChange, start: int = 0,
                 size: int = WINDOW) -> PatchWindow:
    """``size`` lines of a file's patch from line ``start`` (clamped to the patch)."""
    whole = patch_lines(repo, base, head, change)
    if whole.too_large or not whole.lines:
        return whole
    start = max(0, min(int(start), max(0, whole.total - 1)))
    start -= start % max(1, size)
    return PatchWindow(lines=whole.lines[start:start + size], start=start, total=whole.total)


def commits(repo: Path, base: str | None, head: str, limit: int = MAX_COMMITS) -> list[dict]:
    """Commits reachable from ``head`` but not ``base``, newest first.

    Each is ``sha``, ``short``, ``author``, ``email``, ``date`` (ISO 8601),
    ``subject`` and ``body`` (trimmed to ``MAX_MESSAGE`` characters).
    """
    rng = [head] if not base else [head, f"^{base}"]
    raw = gitobj.git(repo, "log", f"--max-count={int(limit)}", "--no-color",
                     "--format=%H%x00%h%x00%an%x00%ae%x00%aI%x00%s%x00%b%x1e",
                     "--end-of-options", *rng, "--").stdout.decode(errors="replace")
    keys = ("sha", "short", "author", "email", "date", "subject", "body")
    found = []
    for record in raw.split("\x1e"):
        record = record.strip("\n")
        if record:
            row = dict(zip(keys, record.split("\0")))
            row["body"] = row.get("body", "").strip()[:MAX_MESSAGE]
            found.append(row)
    return found
