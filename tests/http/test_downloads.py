"""Downloads from a project's repository over HTTP: rights, content types, nothing rendered."""

from __future__ import annotations

import secrets
from pathlib import Path
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from clawweb.models import AuditEvent, AuthSession, utcnow
from clawweb.services.accounts import auth_sessions
from tests.services.review.builder import Link
from tests.services.review.conftest import PNG
from tests.services.review.world import make_world


@pytest.fixture
def w(session, tmp_path, settings):
    return make_world(session, tmp_path, settings)


@pytest.fixture
def client():
    from clawweb import api

    with TestClient(api.router(), base_url="http://127.0.0.1") as c:
        yield c


def _token(session, user) -> str:
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(user_id=user.id, token_hash=auth_sessions.hash_token(token),
                            expires_at=utcnow() + timedelta(days=1)))
    session.commit()
    return token


def _get(client, url, token=""):
    client.cookies.clear()
    if token:
        client.cookies.set("clawweb_session", token)
    return client.get(url)


@pytest.fixture
def files(w):
    task = w.task({"logo.png": PNG, "pic.svg": "<svg onload='alert(1)'/>",
                   "page.html": "<script>alert(1)</script>", "link.png": Link("/etc/passwd"),
                   "docs/ü notes.txt": "hi\n"})
    return w, task


def _blob(w, task, path, download=False):
    from clawweb import routes

    return routes.blob(w.project.id, task.commit_sha, path, download=download)


def test_images_are_served_inline_with_their_type_and_nothing_else_is(files, client):
    w, task = files
    token = _token(w.session, w.viewer)
    png = _get(client, _blob(w, task, "logo.png"), token)
    assert png.status_code == 200 and png.content == PNG
    assert png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"].startswith('inline; filename="logo.png"')
    assert png.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in png.headers["content-security-policy"]
    for path in ("pic.svg", "page.html"):
        res = _get(client, _blob(w, task, path), token)
        assert res.status_code == 200
        assert res.headers["content-type"] == "application/octet-stream"
        assert res.headers["content-disposition"].startswith("attachment;")
    forced = _get(client, _blob(w, task, "logo.png", download=True), token)
    assert forced.headers["content-disposition"].startswith("attachment;")


def test_a_symlink_downloads_as_its_target_text(files, client):
    w, task = files
    res = _get(client, _blob(w, task, "link.png"), _token(w.session, w.viewer))
    assert res.content == b"/etc/passwd"
    assert res.headers["content-type"] == "application/octet-stream"


def test_a_unicode_file_name_cannot_break_the_header(files, client):
    w, task = files
    res = _get(client, _blob(w, task, "docs/ü notes.txt"), _token(w.session, w.viewer))
    assert res.content == b"hi\n"
    assert res.headers["content-disposition"] == (
        "attachment; filename=\"__notes.txt\"; filename*=UTF-8''%C3%BC%20notes.txt")


def test_strangers_and_anonymous_callers_get_nothing(files, client):
    w, task = files
    url = _blob(w, task, "logo.png")
    assert _get(client, url).status_code == 401
    assert _get(client, url, "not-a-token").status_code == 401
    res = _get(client, url, _token(w.session, w.stranger))
    assert res.status_code == 404 and PNG not in res.content


def test_only_full_commit_ids_of_the_project_and_plain_paths_are_served(files, client):
    w, task = files
    token = _token(w.session, w.viewer)
    from clawweb import routes

    for url in (routes.blob(w.project.id, task.branch.replace("/", "%2F"), "logo.png"),
                routes.blob(w.project.id, task.commit_sha[:12], "logo.png"),
                routes.blob(w.project.id, "0" * 40, "logo.png"),
                _blob(w, task, "../logo.png"), _blob(w, task, "docs"),
                _blob(w, task, "missing.png")):
        assert _get(client, url, token).status_code == 404, url


def test_exports_need_the_ship_right_and_are_audited(files, client):
    w, task = files
    from clawweb import routes

    head = task.commit_sha
    assert _get(client, routes.task_export(task.id, "patch", head),
                _token(w.session, w.viewer)).status_code == 403
    res = _get(client, routes.task_export(task.id, "patch", head), _token(w.session, w.editor))
    assert res.status_code == 200 and res.content.startswith(b"From ")
    assert res.headers["content-disposition"].startswith(
        f'attachment; filename="task-{task.id}.patch"')
    bundle = _get(client, routes.task_export(task.id, "bundle", head),
                  _token(w.session, w.editor))
    assert bundle.status_code == 200 and bundle.content.startswith(b"# v2 git bundle")
    assert _get(client, routes.task_export(task.id, "zip", head),
                _token(w.session, w.editor)).status_code == 404
    # A link without the reviewed head, or with one the branch has left, exports nothing.
    for stale in ("", "0" * 40):
        res = _get(client, routes.task_export(task.id, "patch", stale),
                    _token(w.session, w.editor))
        assert res.status_code == 409 and b"From " not in res.content
        assert "changed since you looked at it" in res.text  # words, not the message key
    client.cookies.set("clawweb_session", _token(w.session, w.editor))
    zh = client.get(routes.task_export(task.id, "patch", "0" * 40),
                    headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert zh.status_code == 409 and "请刷新后重新审阅" in zh.text
    w.session.expire_all()
    events = w.session.exec(select(AuditEvent).where(AuditEvent.action == "task.download")).all()
    assert [e.detail for e in events] == ["patch", "bundle"]


def test_temporary_copies_are_removed_after_the_response(files, client, tmp_path, monkeypatch):
    import tempfile

    w, task = files
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    res = _get(client, _blob(w, task, "logo.png"), _token(w.session, w.viewer))
    assert res.status_code == 200
    assert [p.name for p in scratch.iterdir()] == []


def test_the_page_headers_middleware_keeps_a_downloads_stricter_policy(files, tmp_path):
    from clawweb import api
    from clawweb.http.security_headers import SecurityHeadersMiddleware

    w, task = files
    token = _token(w.session, w.viewer)
    app = SecurityHeadersMiddleware(api.router(), static_dir=lambda: None)
    with TestClient(app, base_url="http://127.0.0.1") as wrapped:
        png = _get(wrapped, _blob(w, task, "logo.png"), token)
        health = wrapped.get("/api/health")
    assert png.status_code == 200
    assert png.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert png.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in health.headers["content-security-policy"]  # pages: the page policy


def test_a_server_that_sends_files_itself_still_finds_them(files):
    """Granian offers ASGI's ``http.response.pathsend``: a response then hands it a path,
    which it reads after the app has returned, so after the response's background work.
    What is served must still be there then (it was not: 18 of 200 fetches got 404)."""
    import anyio

    from clawweb import api

    w, task = files
    path, _, query = _blob(w, task, "logo.png").partition("?")
    cookie = f"clawweb_session={_token(w.session, w.viewer)}"
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
             "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"cookie", cookie.encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
             "extensions": {"http.response.pathsend": {}}}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    anyio.run(api.router(), scope, receive, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    for handed in (m["path"] for m in sent if m["type"] == "http.response.pathsend"):
        assert Path(handed).is_file(), "the file handed to the server was already removed"
        body += Path(handed).read_bytes()
    assert body == PNG
