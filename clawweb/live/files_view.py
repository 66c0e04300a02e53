"""The file browser's read models: breadcrumbs, directory rows, a file as safe HTML."""

from __future__ import annotations

import posixpath

from clawweb import routes
from clawweb.live import markdown_html
from clawweb.live.diff_html import file_html
from clawweb.services.review import gitobj, service as review, tree

_ICONS = {"dir": "folder", "file": "file", "link": "link", "submodule": "package"}


def breadcrumbs(b: review.Browse, path: str) -> list[dict[str, str]]:
    """The root, then every directory down to ``path``, each with its URL."""
    pid = b.project.id
    crumbs = [{"name": b.project.name, "href": routes.project_files(pid, b.ref, "")}]
    parts = [p for p in path.split("/") if p]
    for i, part in enumerate(parts):
        crumbs.append({"name": part,
                       "href": routes.project_files(pid, b.ref, "/".join(parts[:i + 1]))})
    return crumbs


def parent_href(b: review.Browse, path: str) -> str:
    """The URL one level up ("" at the root)."""
    if not path:
        return ""
    parent = posixpath.dirname(path)
    return routes.project_files(b.project.id, b.ref, parent)


def entry_rows(b: review.Browse, entries: list[gitobj.Entry]) -> list[dict[str, str]]:
    """Directory rows; a link or submodule is listed but never entered."""
    return [{"name": e.name, "kind": e.kind, "icon": _ICONS.get(e.kind, "file"),
             "size": _size(e.size) if e.kind == "file" else "",
             "href": routes.project_files(b.project.id, b.ref, e.path)} for e in entries]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def file_view(b: review.Browse, view: tree.FileView) -> dict:
    """A file as the page shows it (``html`` is escaped, built here)."""
    pid = b.project.id
    base_dir = posixpath.dirname(view.path)
    html = ""
    if view.kind == "markdown":
        html = markdown_html.render(
            view.text, base_dir=base_dir,
            image_url=lambda p: routes.blob(pid, b.commit, p),
            file_url=lambda p: routes.project_files(pid, b.ref, p))
    elif view.kind == "text":
        html = file_html(view.path, view.text)
    return {
        "path": view.path, "name": posixpath.basename(view.path), "kind": view.kind,
        "size": _size(view.size), "truncated": view.truncated, "html": html,
        "source_html": file_html(view.path, view.text) if view.kind == "markdown" else "",
        "link": view.text if view.kind in ("link", "submodule") else "",
        "image": routes.blob(pid, b.commit, view.path) if view.kind == "image" else "",
        "download": routes.blob(pid, b.commit, view.path, download=True)
        if view.kind != "submodule" else "",
        "open_in_task": routes.project_submit(pid, view.path),
    }
