"""The CLI's parts without a server: config file, arguments, rendering, exit codes,
and following a stream through drops (httpx's MockTransport plays the server)."""

from __future__ import annotations

import io
import json
import os
import stat
import tomllib
from pathlib import Path

import httpx
import pytest

from clawweb.cli import config
from clawweb.cli.client import Api, Unreachable, follow, parse_sse
from clawweb.cli.main import main, parse
from clawweb.cli.render import Printer, for_pipe, for_terminal
from clawweb.cli.show import exit_code

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(config.URL_ENV, raising=False)
    monkeypatch.delenv(config.TOKEN_ENV, raising=False)
    return tmp_path


def test_the_config_is_private_and_the_environment_wins(home, monkeypatch):
    os.umask(0o022)  # a usual umask: files would be world-readable by default
    path = config.save(config.Config(url="https://claw.example.com", token="cwt_secret"))
    assert path == home / "xdg" / "clawweb" / "config"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert config.load() == config.Config("https://claw.example.com", "cwt_secret")
    config.save(config.Config(url="https://claw.example.com", token="cwt_new"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "cwt_new" in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["config"]  # no temporary left
    monkeypatch.setenv(config.TOKEN_ENV, "cwt_from_env")
    assert config.load().token == "cwt_from_env"


def test_without_a_config_commands_say_to_log_in(home, capsys):
    assert main(["projects"]) == 2
    assert "clawweb login" in capsys.readouterr().err


def test_urls_are_normalized_and_must_be_http():
    assert config.normalize_url(" https://c.example/api/v1/ ") == "https://c.example"
    with pytest.raises(ValueError):
        config.normalize_url("c.example")


def test_run_takes_everything_after_the_double_dash_word_for_word():
    args = parse(["-q", "run", "p", "--priority", "high", "--", "sh", "-c", "exit 3", "--"])
    assert (args.project, args.priority, args.command) == ("p", "high",
                                                           ["sh", "-c", "exit 3", "--"])
    assert parse(["run", "p", "make test && deploy"]).command == ["make test && deploy"]


def test_the_console_script_points_at_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["clawweb"].partition(":")
    assert getattr(__import__(module, fromlist=[name]), name) is main


HOSTILE = "ok \x1b[31mred\x1b[0m \x1b]52;c;ZXZpbA==\x07\x1b]8;;http://x\x07link\x1b]8;;\x07" \
          "\x1b[2J\x1b]0;title\x07\x07bell\u202eevil\r\nend\x00"


def test_output_on_a_terminal_keeps_colours_and_nothing_else_that_acts():
    shown = for_terminal(HOSTILE)
    assert "\x1b[31mred\x1b[0m" in shown
    assert "\x1b]" not in shown and "\x1b[2J" not in shown and "\x07" not in shown
    assert "\u202e" not in shown and "\x00" not in shown and "\r" not in shown
    assert shown.count("\x1b") == 2
    assert "link" in shown and "end" in shown


def test_output_in_a_pipe_is_plain_text():
    shown = for_pipe(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown
    assert shown.startswith("ok red ") and shown.endswith("bell" + "evil\nend")


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_notes_are_coloured_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    pipe, tty = io.StringIO(), Tty()
    Printer(io.StringIO(), pipe).note("[clawweb] hi", "ok")
    Printer(io.StringIO(), tty).note("[clawweb] hi", "ok")
    assert pipe.getvalue() == "[clawweb] hi\n"
    assert tty.getvalue().startswith("\x1b[32m")
    monkeypatch.setenv("NO_COLOR", "1")
    no_colour = Tty()
    Printer(io.StringIO(), no_colour).note("[clawweb] hi", "ok")
    assert "\x1b" not in no_colour.getvalue()


@pytest.mark.parametrize("task,code", [
    ({"status": "succeeded", "exit_code": 0}, 0),
    ({"status": "failed", "exit_code": 3}, 3),
    ({"status": "failed", "exit_code": None}, 1),
    ({"status": "failed", "exit_code": 300}, 1),
    ({"status": "timed_out", "exit_code": None}, 124),
    ({"status": "cancelled", "exit_code": None}, 130),
])
def test_the_exit_code_follows_the_task(task, code):
    assert exit_code(task) == code


def test_sse_messages_are_parsed_with_comments_and_multi_line_data():
    lines = [": ping", "id: 4", "event: output", "data: {\"a\":", "data: 1}", "", "", "id: 5"]
    assert list(parse_sse(iter(lines))) == [{"id": "4", "event": "output",
                                             "data": "{\"a\":\n1}"}]


def _sse(events) -> bytes:
    out = ""
    for e in events:
        out += f"id: {e['seq']}\nevent: {e['type']}\ndata: {json.dumps(e)}\n\n"
    return out.encode()


def _event(seq, kind="output", **data):
    return {"seq": seq, "ts": 0.0, "type": kind,
            "data": data or {"stream": "stdout", "text": f"line-{seq}\n"}}


class Broken(httpx.SyncByteStream):
    """A body that breaks off after ``data`` (the server was killed mid-stream)."""

    def __init__(self, data: bytes):
        self.data = data

    def __iter__(self):
        yield self.data
        raise httpx.ReadError("connection reset by peer")


class FlakyServer:
    """Streams seqs 1..n in pieces of ``cut`` events: a piece ends with a clean close,
    or (``broken``) with the connection reset mid-stream; the first reconnect finds
    the server down (a restart)."""

    def __init__(self, n=12, cut=5, broken=False):
        self.n, self.cut, self.broken, self.asked_after, self.calls = n, cut, broken, [], 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events/stream"):
            self.calls += 1
            if self.calls == 2:
                raise httpx.ConnectError("connection refused", request=request)
            after = int(request.headers.get("last-event-id", "0"))
            self.asked_after.append(after)
            events = [_event(s) for s in range(after + 1, min(after + self.cut, self.n) + 1)]
            if events and events[-1]["seq"] == self.n:
                events.append(_event(self.n + 1, "status", status="failed", exit_code=4,
                                     reason=""))
            # Some servers send an old event again after a reconnect: never shown twice.
            if after:
                events.insert(0, _event(after))
            headers = {"content-type": "text/event-stream"}
            if self.broken and events[-1]["type"] != "status":
                return httpx.Response(200, stream=Broken(_sse(events)), headers=headers)
            return httpx.Response(200, content=_sse(events), headers=headers)
        return httpx.Response(200, json={"id": 9, "status": "failed", "exit_code": 4,
                                         "finished": True})


@pytest.mark.parametrize("broken", [False, True], ids=["closed", "reset"])
def test_follow_resumes_after_drops_and_shows_every_event_once(broken):
    server = FlakyServer(broken=broken)
    api = Api("http://127.0.0.1:1", "cwt_x", transport=httpx.MockTransport(server))
    seen, retries = [], []
    final = follow(api, 9, seen.append, on_retry=retries.append, sleep=lambda _s: None)
    assert [e["seq"] for e in seen] == list(range(1, 14))
    assert server.asked_after == [0, 5, 10]
    assert len(retries) == (3 if broken else 1) and exit_code(final) == 4


def test_follow_gives_up_after_its_retry_window():
    def down(request):
        raise httpx.ConnectError("refused", request=request)

    api = Api("http://127.0.0.1:1", "cwt_x", transport=httpx.MockTransport(down))
    with pytest.raises(Unreachable):
        follow(api, 1, lambda e: None, retry_for=0.0, sleep=lambda _s: None)


def test_a_refused_stream_is_an_error_not_a_retry():
    def refuse(request):
        return httpx.Response(404, json={"error": {"code": "errors.not_found",
                                                   "message": "Not found."}})

    api = Api("http://127.0.0.1:1", "cwt_x", transport=httpx.MockTransport(refuse))
    with pytest.raises(Exception) as err:
        follow(api, 1, lambda e: None, sleep=lambda _s: pytest.fail("retried"))
    assert getattr(err.value, "code", "") == "errors.not_found"


def test_follow_stops_at_an_interrupted_turn():
    """Interrupted ends a run like any other ending (page-p): follow returns, exit 130."""
    calls = []

    def server(request):
        calls.append(request.url.path)
        if request.url.path.endswith("/events/stream"):
            events = [_event(1), _event(2, "status", status="interrupted", exit_code=130,
                                        reason="")]
            return httpx.Response(200, content=_sse(events),
                                  headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json={"id": 9, "status": "interrupted", "exit_code": 130,
                                         "finished": True})

    api = Api("http://127.0.0.1:1", "cwt_x", transport=httpx.MockTransport(server))
    seen = []
    final = follow(api, 9, seen.append, retry_for=0.0, sleep=lambda _s: None)
    assert [e["seq"] for e in seen] == [1, 2] and exit_code(final) == 130
    assert sum(p.endswith("/events/stream") for p in calls) == 1
