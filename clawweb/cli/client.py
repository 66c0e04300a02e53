"""The API over HTTP for the CLI: JSON calls, and a task's event stream that survives drops.

``follow`` reads ``/tasks/{id}/events/stream`` and, when the connection drops or
the server restarts, reconnects with ``Last-Event-ID`` = the last event it
printed, so every event is shown once. It gives up only after ``retry_for``
seconds without reaching the server.
"""

from __future__ import annotations

import json
import locale
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

USER_AGENT = "clawweb-cli/1"
# The server pings every 10 s; three missed pings mean the connection is dead.
READ_TIMEOUT = 30.0
_TERMINAL = {"succeeded", "failed", "cancelled", "timed_out", "interrupted"}


class ApiError(Exception):
    """The server refused (``code`` from its error body) or could not be reached."""

    def __init__(self, message: str, *, status: int = 0, code: str = ""):
        super().__init__(message)
        self.status, self.code = status, code


class Unreachable(ApiError):
    """No answer from the server (connection refused, reset, timed out, 5xx)."""


def _language() -> str:
    lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or (locale.getlocale()[0] or "")
    return "zh" if lang.lower().startswith("zh") else "en"


def _refusal(resp: httpx.Response) -> ApiError:
    try:
        error = resp.json()["error"]
        message, code = f"{error['message']} ({error['code']})", error["code"]
    except (ValueError, KeyError, TypeError):
        message, code = f"HTTP {resp.status_code}", ""
    # A restart (5xx) or the token's rate limit (429) pass: wait and try again.
    cls = Unreachable if resp.status_code >= 500 or resp.status_code == 429 else ApiError
    return cls(message, status=resp.status_code, code=code)


class Api:
    """A signed-in client of one server."""

    def __init__(self, url: str, token: str, *, transport: httpx.BaseTransport | None = None):
        self.url = url
        self.http = httpx.Client(
            base_url=f"{url}/api/v1", transport=transport,
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT,
                     "Accept-Language": _language()},
            timeout=httpx.Timeout(READ_TIMEOUT, connect=10.0))

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One JSON call; the decoded answer.

        Raises:
            ApiError: refused (4xx). Unreachable: no answer, or a 5xx.
        """
        try:
            resp = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach {self.url}: {exc}") from exc
        if resp.status_code >= 400:
            raise _refusal(resp)
        return resp.json()

    def call_patiently(self, method: str, path: str, *, retry_for: float,
                       sleep: Callable[[float], None] = time.sleep, **kwargs: Any) -> Any:
        """``call``, retried while the server cannot be reached (a restart)."""
        deadline, delay = time.monotonic() + retry_for, 0.5
        while True:
            try:
                return self.call(method, path, **kwargs)
            except Unreachable:
                if time.monotonic() + delay > deadline:
                    raise
                sleep(delay)
                delay = min(delay * 2, 5.0)

    def pages(self, path: str, **params: Any) -> Iterator[dict]:
        """Every item of a paged list."""
        cursor = None
        while True:
            page = self.call("GET", path, params={**params, **({"cursor": cursor}
                                                               if cursor else {})})
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return


def parse_sse(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """SSE messages (``{"id", "event", "data"}``) from a stream's lines."""
    message: dict[str, str] = {}
    for line in lines:
        if line == "":
            if "data" in message:
                yield message
            message = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            message[name] = message[name] + "\n" + value if name == "data" and name in message \
                else value


class StreamEnded(Exception):
    """The server ended the stream with an error event (access lost)."""


class _Progress:
    """How far a follow got; kept outside a connection so a reset loses nothing."""

    def __init__(self, after: int):
        self.after, self.seen = after, 0


def _stream_once(api: Api, task_id: int, progress: _Progress,
                 on_event: Callable[[dict], None]) -> bool:
    """One connection; whether the terminal status came. ``progress`` moves with
    every event shown, also when the connection then breaks off."""
    after = progress.after
    headers = {"Last-Event-ID": str(after)} if after else {}
    with api.http.stream("GET", f"/tasks/{task_id}/events/stream", headers=headers) as resp:
        if resp.status_code >= 400:
            resp.read()
            raise _refusal(resp)
        for message in parse_sse(resp.iter_lines()):
            if message.get("event") == "error":
                raise StreamEnded(json.loads(message["data"])["error"]["message"])
            event = json.loads(message["data"])
            if event["seq"] <= progress.after:
                continue  # never shown twice, whatever the server sends
            on_event(event)
            progress.after, progress.seen = event["seq"], progress.seen + 1
            if event["type"] == "status" and event["data"].get("status") in _TERMINAL:
                return True
    return False


def follow(api: Api, task_id: int, on_event: Callable[[dict], None], *, after: int = 0,
           retry_for: float = 600.0, on_retry: Callable[[str], None] = lambda _m: None,
           sleep: Callable[[float], None] = time.sleep) -> dict:
    """Show a task's events until it ends; returns the task as it ended.

    Raises:
        ApiError: refused (token, rights, unknown task).
        Unreachable: the server stayed out of reach for ``retry_for`` seconds.
        StreamEnded: the server ended the stream (access lost).
    """
    failing_since, delay = None, 0.5
    progress = _Progress(after)
    while True:
        progress.seen = 0
        try:
            ended = _stream_once(api, task_id, progress, on_event)
        except (httpx.TransportError, Unreachable) as exc:
            failing_since = failing_since or time.monotonic()
            if time.monotonic() - failing_since > retry_for:
                raise Unreachable(f"lost {api.url} for {retry_for:.0f} s: {exc}") from exc
            on_retry(f"connection lost ({exc.__class__.__name__}); resuming after event "
                     f"{progress.after}")
            sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        failing_since = None
        if ended:
            break
        # The stream closed without the end: a restart, or nothing left to send.
        task = api.call_patiently("GET", f"/tasks/{task_id}", retry_for=retry_for, sleep=sleep)
        if task["finished"] and not progress.seen:
            return task
        if progress.seen:
            delay = 0.5
        else:  # closed again at once: do not hammer a server that is going down
            sleep(delay)
            delay = min(delay * 2, 5.0)
    return api.call_patiently("GET", f"/tasks/{task_id}", retry_for=retry_for, sleep=sleep)
