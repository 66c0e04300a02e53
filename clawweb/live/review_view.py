"""The review page's read models: plain dicts (and escaped HTML) for browser state.

Files are shown in pages sized by how many diff lines they bring
(``PAGE_LINES``), never more than ``PAGE_FILES`` files; each file shows one
window of its patch (``diff.WINDOW`` lines) with earlier/later windows on
demand. So whatever the size of the change, one state update carries at most
about ``PAGE_LINES`` lines of HTML.
"""

from __future__ import annotations

from clawweb import routes
from clawweb.live.diff_html import window_html
from clawweb.models import iso_utc
from clawweb.services.review import diff, gitobj
from clawweb.services.review import service as review

PAGE_LINES = 1200
PAGE_FILES = 25
LINK_MAX = 4096


def _weight(change: diff.FileChange) -> int:
    if change.kind in ("binary", "image", "submodule", "symlink"):
        return 10
    return min(diff.WINDOW, change.additions + change.deletions + 4)


def paginate(changes: list[diff.FileChange]) -> list[tuple[int, int]]:
    """(start, end) file index ranges, one per page."""
    pages, start, lines = [], 0, 0
    for i, change in enumerate(changes):
        weight = _weight(change)
        if i > start and (lines + weight > PAGE_LINES or i - start >= PAGE_FILES):
            pages.append((start, i))
            start, lines = i, 0
        lines += weight
    if start < len(changes) or not pages:
        pages.append((start, len(changes)))
    return pages


def header(target: review.Target, changes: list[diff.FileChange], cut: bool) -> dict:
    """The summary at the top of the review page."""
    task, project = target.task, target.project
    return {
        "task_id": task.id, "project_id": project.id, "project_name": project.name,
        "title": task.title or (task.command or "")[:80], "status": task.status.value,
        "kind": task.kind, "branch": target.branch, "default_branch": project.default_branch,
        "head": target.head or "", "head_short": (target.head or "")[:10],
        "base_short": (target.base or "")[:10] if target.base else "",
        "has_branch": target.head is not None,
        "files": len(changes), "files_cut": cut,
        "additions": sum(c.additions for c in changes),
        "deletions": sum(c.deletions for c in changes),
        "merge_state": task.merge_state, "merged_short": (task.merged_sha or "")[:10],
        "merged_at": iso_utc(task.merged_at), "strategy": project.merge_strategy,
        "ship_role": project.ship_role, "can_ship": target.can_ship,
        "finished": review.finished(target), "busy": target.busy,
        "may_act": target.can_ship and review.finished(target) and not target.busy
        and target.head is not None,
        "task_url": routes.task(task.id),
        "browse_url": routes.project_files(project.id, target.branch)
        if target.head is not None else routes.project_files(project.id),
        "patch_url": routes.task_export(task.id, "patch", target.head or ""),
        "bundle_url": routes.task_export(task.id, "bundle", target.head or ""),
    }


def commit_rows(commits: list[dict]) -> list[dict[str, str]]:
    """The branch's commits for the page (message body kept for the expanded view)."""
    return [{k: c.get(k, "") for k in ("sha", "short", "author", "date", "subject", "body")}
            for c in commits]


def _link_target(target: review.Target, oid: str) -> str:
    if not gitobj.is_sha(oid) or set(oid) == {"0"}:
        return ""
    data, _ = gitobj.read_blob(target.repo, oid, LINK_MAX)  # the target text, a blob
    return data.decode(errors="replace")


def _images(target: review.Target, change: diff.FileChange) -> tuple[str, str]:
    pid = target.project.id
    old = "" if change.status == "added" or not gitobj.is_sha(target.base or "") \
        or target.base == gitobj.empty_tree(target.repo) \
        else routes.blob(pid, target.base, change.old_path or change.path)
    new = "" if change.status == "deleted" else routes.blob(pid, target.head, change.path)
    return old, new


def card(target: review.Target, change: diff.FileChange, index: int, start: int = 0) -> dict:
    """One file of the page: its summary and one window of its patch as HTML."""
    window = review.patch_window(target, change, start) if change.kind == "text" \
        else diff.PatchWindow()
    old_image, new_image = _images(target, change) if change.kind == "image" else ("", "")
    whole = change.status in ("added", "deleted")
    end = window.start + len(window.lines)
    return {
        "index": index, "path": change.path, "old_path": change.old_path,
        "status": change.status, "kind": change.kind, "additions": change.additions,
        "deletions": change.deletions, "similarity": change.similarity,
        "open": not whole and not window.too_large,
        "html": window_html(change.path, window.lines) if window.lines else "",
        "start": window.start + 1 if window.lines else 0, "end": end, "total": window.total,
        "has_prev": window.start > 0, "has_next": end < window.total,
        "prev_start": max(0, window.start - diff.WINDOW), "next_start": end,
        "too_large": window.too_large, "old_image": old_image, "new_image": new_image,
        "link_old": _link_target(target, change.old_oid) if change.kind == "symlink" else "",
        "link_new": _link_target(target, change.new_oid) if change.kind == "symlink" else "",
        "download": "" if change.status == "deleted" or change.kind == "submodule"
        else routes.blob(target.project.id, target.head, change.path, download=True),
        "anchor": f"file-{index}",
    }


def page_cards(target: review.Target, changes: list[diff.FileChange],
               page: tuple[int, int]) -> list[dict]:
    """Cards for the files of one page."""
    start, end = page
    return [card(target, changes[i], i) for i in range(start, end)]
