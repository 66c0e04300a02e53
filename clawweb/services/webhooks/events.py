"""A verified payload turned into one :class:`Trigger`, whatever the forge.

Shapes follow each forge's documented webhook payloads: GitHub (``push``,
``issue_comment``, ``pull_request``, ``ping``), GitLab (``Push Hook``,
``Note Hook``, ``Merge Request Hook``), Gitea/Forgejo (``push``,
``issue_comment``, ``pull_request``), and the generic sender's own
(``push``: ``{"branch", "sha"}``; ``comment``: ``{"text", "author"}``).

``Trigger.at`` is the event's own time from the signed payload, where the
forge documents one (a comment's ``created_at``, a pull request's
``updated_at``, GitHub's ``repository.pushed_at``): an old event replayed
after its delivery id left the log is refused as stale by it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

ZERO_SHA = "0" * 40
_GITLAB_TIME = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?: (UTC|[+-]\d{4}))?$")


@dataclass(frozen=True)
class Trigger:
    """What happened, in the same words for every forge.

    Attributes:
        kind: ``push`` | ``comment`` | ``pull_request_opened`` | ``ping`` | ``other``.
        repo: the repository's ``owner/name`` path on the forge ("" if unknown).
        number: the issue or pull request number (GitLab: its iid).
        on_pull_request: a comment on a pull/merge request rather than an issue.
    """

    kind: str
    event: str
    repo: str = ""
    branch: str = ""
    sha: str = ""
    deleted: bool = False
    text: str = ""
    author: str = ""
    number: int = 0
    on_pull_request: bool = False
    title: str = ""
    url: str = ""
    head: str = ""
    base: str = ""
    body: str = ""
    at: datetime | None = None


def parse_time(value: Any) -> datetime | None:
    """An aware UTC time from unix seconds, ISO 8601, or GitLab's ``2015-05-17 18:08:09 UTC``."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    text = str(value).strip()
    match = _GITLAB_TIME.match(text)
    if match:
        zone = match.group(3) or "UTC"
        text = f"{match.group(1)}T{match.group(2)}" + ("+00:00" if zone == "UTC" else zone)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def load_payload(body: bytes, content_type: str) -> dict:
    """The JSON object of a delivery (GitHub may send it form-encoded as ``payload=``).

    Raises:
        ValueError: not a JSON object.
    """
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("utf-8", "strict"), strict_parsing=True).get("payload")
        if not values:
            raise ValueError("no payload field")
        body = values[0].encode()
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


def _d(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _s(value: Any, limit: int = 200_000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _n(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _branch(ref: Any) -> str:
    ref = _s(ref, 500)
    return ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else ""


def _push(event: str, data: dict, repo: str, at: Any, author: Any) -> Trigger:
    after = _s(data.get("after"), 64)
    return Trigger("push", event, repo=repo, branch=_branch(data.get("ref")), sha=after,
                   deleted=after == ZERO_SHA or data.get("deleted") is True,
                   author=_s(author, 100), at=parse_time(at))


def _github(event: str, data: dict) -> Trigger:
    repo = _s(_d(data, "repository", "full_name"), 300)
    if event == "push":
        return _push(event, data, repo, _d(data, "repository", "pushed_at"),
                     _d(data, "pusher", "name") or _d(data, "sender", "login"))
    if event == "issue_comment" and data.get("action") == "created":
        issue = data.get("issue") or {}
        return Trigger("comment", event, repo=repo, text=_s(_d(data, "comment", "body")),
                       author=_s(_d(data, "comment", "user", "login"), 100),
                       number=_n(issue.get("number")),
                       on_pull_request=isinstance(issue.get("pull_request"), dict),
                       title=_s(issue.get("title"), 500),
                       url=_s(_d(data, "comment", "html_url"), 2000),
                       at=parse_time(_d(data, "comment", "created_at")))
    if event == "pull_request" and data.get("action") == "opened":
        return _pull(event, data.get("pull_request") or {}, repo,
                     _d(data, "sender", "login"), "html_url", "number")
    if event == "ping":
        return Trigger("ping", event, repo=repo)
    return Trigger("other", event, repo=repo)


def _pull(event: str, pr: dict, repo: str, author: Any, url_field: str,
          number_field: str) -> Trigger:
    return Trigger("pull_request_opened", event, repo=repo, number=_n(pr.get(number_field)),
                   on_pull_request=True, title=_s(pr.get("title"), 500),
                   body=_s(pr.get("body")), url=_s(pr.get(url_field), 2000),
                   head=_s(_d(pr, "head", "ref"), 500), base=_s(_d(pr, "base", "ref"), 500),
                   author=_s(author, 100),
                   at=parse_time(pr.get("updated_at") or pr.get("created_at")))


def _gitea(event: str, data: dict) -> Trigger:
    repo = _s(_d(data, "repository", "full_name"), 300)
    if event == "push":
        return _push(event, data, repo, None,
                     _d(data, "pusher", "login") or _d(data, "sender", "login"))
    if event == "issue_comment" and data.get("action") == "created":
        issue = data.get("issue") or {}
        on_pr = data.get("is_pull") is True or isinstance(issue.get("pull_request"), dict)
        return Trigger("comment", event, repo=repo, text=_s(_d(data, "comment", "body")),
                       author=_s(_d(data, "comment", "user", "login"), 100),
                       number=_n(issue.get("number")), on_pull_request=on_pr,
                       title=_s(issue.get("title"), 500),
                       url=_s(_d(data, "comment", "html_url"), 2000),
                       at=parse_time(_d(data, "comment", "created_at")))
    if event == "pull_request" and data.get("action") == "opened":
        return _pull(event, data.get("pull_request") or {}, repo,
                     _d(data, "sender", "login"), "html_url", "number")
    return Trigger("other", event, repo=repo)


def _gitlab(event: str, data: dict) -> Trigger:
    repo = _s(_d(data, "project", "path_with_namespace"), 300)
    kind = data.get("object_kind")
    attrs = data.get("object_attributes") or {}
    if kind == "push":
        return _push(event, data, repo, None, data.get("user_username"))
    if kind == "note" and attrs.get("action") in (None, "create"):
        noteable = attrs.get("noteable_type")
        target = data.get("merge_request") if noteable == "MergeRequest" else data.get("issue")
        if noteable not in ("Issue", "MergeRequest") or not isinstance(target, dict):
            return Trigger("other", event, repo=repo)
        return Trigger("comment", event, repo=repo, text=_s(attrs.get("note")),
                       author=_s(_d(data, "user", "username"), 100),
                       number=_n(target.get("iid")), on_pull_request=noteable == "MergeRequest",
                       title=_s(target.get("title"), 500), url=_s(attrs.get("url"), 2000),
                       at=parse_time(attrs.get("created_at")))
    if kind == "merge_request" and attrs.get("action") == "open":
        return Trigger("pull_request_opened", event, repo=repo, number=_n(attrs.get("iid")),
                       on_pull_request=True, title=_s(attrs.get("title"), 500),
                       body=_s(attrs.get("description")), url=_s(attrs.get("url"), 2000),
                       head=_s(attrs.get("source_branch"), 500),
                       base=_s(attrs.get("target_branch"), 500),
                       author=_s(_d(data, "user", "username"), 100),
                       at=parse_time(attrs.get("updated_at") or attrs.get("created_at")))
    return Trigger("other", event, repo=repo)


def _generic(event: str, data: dict) -> Trigger:
    if event == "push":
        branch = _s(data.get("branch"), 500) or _branch(data.get("ref"))
        return Trigger("push", event, branch=branch, sha=_s(data.get("sha"), 64),
                       author=_s(data.get("author"), 100))
    if event == "comment":
        return Trigger("comment", event, text=_s(data.get("text")),
                       author=_s(data.get("author"), 100))
    if event == "ping":
        return Trigger("ping", event)
    return Trigger("other", event)


_PARSERS = {"github": _github, "gitlab": _gitlab, "gitea": _gitea, "generic": _generic}


def parse(forge: str, event: str, data: dict) -> Trigger:
    """The trigger a verified ``data`` of ``event`` describes (``other`` when none)."""
    return _PARSERS[forge](event, data)


def json_text(data: dict) -> str:
    """The payload as stored for the job (compact JSON)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
