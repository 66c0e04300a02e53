"""Scripted forge APIs on loopback: GitHub REST v3, GitLab v4, Gitea/Forgejo v1.

Each fake checks the request shape the forge documents — path, method, the
auth header, the JSON fields and their types — refuses anything else the way
the forge would (401, 404, 422), and answers with the documented response
fields. Tests read ``requests`` to see what was sent (``comments`` for issue
and pull request comments), and call :meth:`FakeForge.set_state` to merge or
close a request "on the forge".
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from tests.support.services import free_port, wait_for_port


class _Spec:
    """What one forge expects and how it answers."""

    kind = ""
    prefix = ""

    def __init__(self, token: str):
        self.token = token

    def authorized(self, headers) -> bool:
        raise NotImplementedError

    def create_path(self, repo: str) -> str:
        raise NotImplementedError

    def required(self) -> dict[str, type]:
        raise NotImplementedError

    def answer(self, pr: dict, base_url: str) -> dict:
        raise NotImplementedError


class _GitHub(_Spec):
    kind = "github"

    def authorized(self, headers) -> bool:
        return (headers.get("Authorization") in (f"Bearer {self.token}", f"token {self.token}")
                and headers.get("Accept") == "application/vnd.github+json"
                and bool(headers.get("User-Agent")))

    def create_path(self, repo: str) -> str:
        return f"/repos/{repo}/pulls"

    def required(self):
        return {"title": str, "head": str, "base": str}

    def comment_path(self, repo: str) -> str:
        # Issue comments; pull requests are issues here (docs.github.com/rest/issues/comments).
        return rf"/repos/{re.escape(repo)}/issues/(?P<n>\d+)/comments"

    def comment_answer(self, c: dict, base_url: str) -> dict:
        return {"id": c["id"], "body": c["body"], "user": {"login": "clawweb-bot"},
                "html_url": f"{base_url}/{c['repo']}/issues/{c['number']}"
                            f"#issuecomment-{c['id']}"}

    def answer(self, pr, base_url):
        return {"id": 1000 + pr["number"], "number": pr["number"],
                "html_url": f"{base_url}/{pr['repo']}/pull/{pr['number']}",
                "url": f"{base_url}/repos/{pr['repo']}/pulls/{pr['number']}",
                "state": "closed" if pr["state"] in ("closed", "merged") else "open",
                "merged": pr["state"] == "merged",
                "merged_at": "2026-01-01T00:00:00Z" if pr["state"] == "merged" else None,
                "title": pr["title"], "body": pr["body"],
                "head": {"ref": pr["head"]}, "base": {"ref": pr["base"]}}


class _GitLab(_Spec):
    kind = "gitlab"
    prefix = "/api/v4"

    def authorized(self, headers) -> bool:
        return headers.get("PRIVATE-TOKEN") == self.token \
            or headers.get("Authorization") == f"Bearer {self.token}"

    def create_path(self, repo: str) -> str:
        # The project id is the full path, URL-encoded ("/" as %2F), one segment.
        return f"{self.prefix}/projects/{repo.replace('/', '%2F')}/merge_requests"

    def required(self):
        return {"source_branch": str, "target_branch": str, "title": str}

    def comment_path(self, repo: str) -> str:
        # Notes on an issue or a merge request (docs.gitlab.com/api/notes).
        project = re.escape(repo.replace("/", "%2F"))
        return rf"{self.prefix}/projects/{project}/(?P<on>issues|merge_requests)/(?P<n>\d+)/notes"

    def comment_answer(self, c: dict, base_url: str) -> dict:
        return {"id": c["id"], "body": c["body"], "author": {"username": "clawweb-bot"},
                "noteable_type": "MergeRequest" if c["on"] == "merge_requests" else "Issue",
                "noteable_iid": c["number"], "system": False}

    def answer(self, pr, base_url):
        state = {"open": "opened"}.get(pr["state"], pr["state"])
        return {"id": 5000 + pr["number"], "iid": pr["number"], "project_id": 42,
                "web_url": f"{base_url}/{pr['repo']}/-/merge_requests/{pr['number']}",
                "state": state, "title": pr["title"], "description": pr["body"],
                "source_branch": pr["head"], "target_branch": pr["base"]}


class _Gitea(_Spec):
    kind = "gitea"
    prefix = "/api/v1"

    def authorized(self, headers) -> bool:
        return headers.get("Authorization") in (f"token {self.token}", f"Bearer {self.token}")

    def create_path(self, repo: str) -> str:
        return f"{self.prefix}/repos/{repo}/pulls"

    def required(self):
        return {"head": str, "base": str, "title": str}

    def comment_path(self, repo: str) -> str:
        return rf"{self.prefix}/repos/{re.escape(repo)}/issues/(?P<n>\d+)/comments"

    def comment_answer(self, c: dict, base_url: str) -> dict:
        return {"id": c["id"], "body": c["body"], "user": {"login": "clawweb-bot"},
                "html_url": f"{base_url}/{c['repo']}/issues/{c['number']}"
                            f"#issuecomment-{c['id']}"}

    def answer(self, pr, base_url):
        return {"id": 2000 + pr["number"], "number": pr["number"],
                "html_url": f"{base_url}/{pr['repo']}/pulls/{pr['number']}",
                "url": f"{base_url}/{pr['repo']}/pulls/{pr['number']}",
                "state": "closed" if pr["state"] in ("closed", "merged") else "open",
                "merged": pr["state"] == "merged", "title": pr["title"], "body": pr["body"],
                "head": {"ref": pr["head"]}, "base": {"ref": pr["base"]}}


SPECS = {"github": _GitHub, "gitlab": _GitLab, "gitea": _Gitea}


class FakeForge:
    """One forge of ``kind`` holding one repository ``repo`` (``owner/name``)."""

    def __init__(self, kind: str, token: str, repo: str, branches: set[str] | None = None):
        self.spec = SPECS[kind](token)
        self.repo = repo
        self.branches = set(branches or {"main"})  # what the "pushed" repo has
        self.port = free_port()
        self.requests: list[dict] = []
        self.pulls: dict[int, dict] = {}
        self.comments: list[dict] = []
        self.redirect_to = ""  # set: answer every call with a redirect there
        self._server = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + self.spec.prefix

    def set_state(self, number: int, state: str) -> None:
        self.pulls[number]["state"] = state

    # -- request handling ----------------------------------------------------------
    def _create(self, body: dict) -> tuple[int, dict]:
        missing = [f for f, t in self.spec.required().items()
                   if not isinstance(body.get(f), t) or not body.get(f)]
        if missing:
            return 422, {"message": f"Validation Failed: missing {', '.join(missing)}"}
        head = body.get("head") or body.get("source_branch")
        base = body.get("base") or body.get("target_branch")
        desc = body.get("body", body.get("description", ""))
        if not isinstance(desc, str):
            return 422, {"message": "body must be a string"}
        missing_branch = next((b for b in (head, base) if b not in self.branches), None)
        if missing_branch is not None:
            return 422, {"message": f"branch not found: {missing_branch}"}
        if any(p["head"] == head and p["state"] == "open" for p in self.pulls.values()):
            return (409 if self.spec.kind != "github" else 422), \
                {"message": "A pull request already exists"}
        with self._lock:
            number = len(self.pulls) + 1
            self.pulls[number] = {"number": number, "repo": self.repo, "title": body["title"],
                                  "body": desc, "head": head, "base": base, "state": "open"}
        return 201, self.spec.answer(self.pulls[number], self.base_url)

    def _comment(self, method: str, headers, body, match) -> tuple[int, dict]:
        if method != "POST":
            return 405, {"message": "Method Not Allowed"}
        if not isinstance(body, dict) or headers.get("Content-Type", "").split(";")[0] \
                != "application/json":
            return 400, {"message": "Problems parsing JSON"}
        if not isinstance(body.get("body"), str) or not body["body"].strip():
            return 422, {"message": "Validation Failed: body is missing"}
        with self._lock:
            c = {"id": 900 + len(self.comments), "repo": self.repo, "body": body["body"],
                 "number": int(match.group("n")),
                 "on": match.groupdict().get("on") or "issues"}
            self.comments.append(c)
        return 201, self.spec.comment_answer(c, self.base_url)

    def handle(self, method: str, raw_path: str, headers, body_bytes: bytes) -> tuple[int, dict]:
        try:
            body = json.loads(body_bytes) if body_bytes else {}
        except ValueError:
            body = None
        self.requests.append({"method": method, "path": raw_path, "headers": dict(headers),
                              "json": body})
        if not self.spec.authorized(headers):
            return 401, {"message": "Bad credentials"}
        comment = re.fullmatch(self.spec.comment_path(self.repo), raw_path)
        if comment:
            return self._comment(method, headers, body, comment)
        create = self.spec.create_path(self.repo)
        if raw_path == create:
            if method != "POST":
                return 405, {"message": "Method Not Allowed"}
            if not isinstance(body, dict) or headers.get("Content-Type", "").split(";")[0] \
                    != "application/json":
                return 400, {"message": "Problems parsing JSON"}
            return self._create(body)
        m = re.fullmatch(re.escape(create) + r"/(\d+)", raw_path)
        if m and method == "GET" and int(m.group(1)) in self.pulls:
            return 200, self.spec.answer(self.pulls[int(m.group(1))], self.base_url)
        return 404, {"message": "Not Found", "path": unquote(raw_path)}

    def start(self) -> "FakeForge":
        forge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                if forge.redirect_to:
                    forge.requests.append({"method": self.command, "path": self.path,
                                           "headers": dict(self.headers), "json": None})
                    self.send_response(307)
                    self.send_header("Location", forge.redirect_to + self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, data = forge.handle(self.command, self.path, self.headers,
                                            self.rfile.read(length) if length else b"")
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
