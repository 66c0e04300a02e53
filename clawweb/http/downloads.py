"""Downloads from a project's repository: files of a commit, and a task's patch or bundle.

Plain Starlette routes (see ``routes.API_BLOB`` and ``routes.API_TASK_EXPORT``)
behind the browser's session cookie; rights are checked by the review
services, as for every Reflex handler. What a repository holds is hostile, so
no response is ever rendered by the browser as a page: png/jpg/gif/webp are
served inline as images (for ``<img>``), everything else, SVG and HTML
included, as ``application/octet-stream`` attachments, all with ``nosniff``
and a ``sandbox`` policy. Files are copied from git objects to a private
temporary directory, opened, and the directory removed at once: the response
streams from the open file, never held in memory, and nothing is left behind
however it ends. Not a ``FileResponse``: under granian that hands the server a
path (ASGI ``pathsend``) which it reads after the app has returned, by when a
clean-up task had removed it: 18 of 200 image fetches came back 404.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from clawweb import routes
from clawweb.db import session_scope
from clawweb.http import session_cookie
from clawweb.i18n import pick_language, t
from clawweb.services.accounts import auth_sessions
from clawweb.services.errors import NotFound, PermissionDenied, ServiceError
from clawweb.services.git import GitError
from clawweb.services.review import actions, gitobj, service, tree
from clawweb.services.review.diff import image_type

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
HEADERS = {"X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; sandbox",
           "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def _token(request: Request) -> str:
    return session_cookie.read_token(request.headers.get("cookie", ""))


def _user(session, request: Request):
    found = auth_sessions.resolve(session=session, token=_token(request))
    return found[0] if found else None


def disposition(kind: str, name: str) -> str:
    """A ``Content-Disposition`` value whose file name cannot break the header."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:150] or "download"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name[:150], safe='')}"


def _refusal(exc: Exception, request: Request) -> Response:
    if isinstance(exc, PermissionError):
        return PlainTextResponse("sign in first", status_code=401, headers=HEADERS)
    if isinstance(exc, PermissionDenied):
        return PlainTextResponse("forbidden", status_code=403, headers=HEADERS)
    if isinstance(exc, (NotFound, GitError)):
        return PlainTextResponse("not found", status_code=404, headers=HEADERS)
    # A person reads this one (a link clicked on a page that went stale): words, not a key.
    lang = pick_language(request.headers.get("accept-language", ""))
    text = t(exc.key, lang, **exc.params) if isinstance(exc, ServiceError) else "refused"
    return PlainTextResponse(text, status_code=409, headers=HEADERS)


def _blob_file(request: Request, tmp: Path) -> tuple[Path, str, str]:
    project_id = int(request.path_params["project_id"])
    commit = str(request.path_params["commit"])
    path = request.query_params.get("path", "")
    with session_scope() as s:
        user = _user(s, request)
        if user is None:
            raise PermissionError("no session")
        _project, repo = service.open_commit(session=s, user=user, project_id=project_id,
                                             commit=commit)
    found = tree.blob_for_download(repo, commit, path)
    picture = image_type(found.path) if found.kind == "file" else ""
    inline = bool(picture) and request.query_params.get("download") != "1"
    media = picture if inline else "application/octet-stream"
    name = found.path.rsplit("/", 1)[-1]
    return gitobj.blob_to_file(repo, found.oid, tmp), media, \
        disposition("inline" if inline else "attachment", name)


def _export_file(request: Request, tmp: Path) -> tuple[Path, str, str]:
    task_id = int(request.path_params["task_id"])
    kind = str(request.path_params["kind"])
    with session_scope() as s:
        user = _user(s, request)
        if user is None:
            raise PermissionError("no session")
        path, name = actions.export_change(
            session=s, user=user, task_id=task_id, kind=kind, directory=tmp,
            expected_head=request.query_params.get("head", "")[:64],
            ip=request.client.host if request.client else "")
    return path, "application/octet-stream", disposition("attachment", name)


def _opened(make, request: Request) -> tuple[BinaryIO, int, str, str]:
    """``make``'s file, open, with its temporary directory already gone."""
    tmp = Path(tempfile.mkdtemp(prefix="clawweb-download-"))
    try:
        path, media, cd = make(request, tmp)
        handle = path.open("rb")
        return handle, os.fstat(handle.fileno()).st_size, media, cd
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    # Starlette runs a plain iterator's reads in its thread pool, off the loop.
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


async def _serve(request: Request, make) -> Response:
    try:
        handle, size, media, cd = await run_in_threadpool(_opened, make, request)
    except (ServiceError, PermissionError, ValueError) as exc:
        return _refusal(exc, request)
    except BaseException:
        log.exception("download failed")
        raise
    return StreamingResponse(_chunks(handle), media_type=media, headers={
        **HEADERS, "Content-Disposition": cd, "Content-Length": str(size)})


async def blob(request: Request) -> Response:
    """A file of a commit (viewer): an image inline, anything else as an attachment."""
    return await _serve(request, _blob_file)


async def export(request: Request) -> Response:
    """A task's change as ``patch`` or ``bundle`` (ship right; audited)."""
    return await _serve(request, _export_file)


def download_routes() -> list[Route]:
    """The routes to mount next to the other API routes."""
    return [Route(routes.API_BLOB, blob, methods=["GET"]),
            Route(routes.API_TASK_EXPORT, export, methods=["GET"])]
