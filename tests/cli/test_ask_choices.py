"""``clawweb ask --model M --mode MODE`` sends the Claude task's choices; without them
the request leaves them out and the project's settings apply (httpx's MockTransport
plays the server)."""

from __future__ import annotations

import io
import json

import httpx

from clawweb.cli import commands
from clawweb.cli.client import Api
from clawweb.cli.main import parse
from clawweb.cli.render import Printer


def _sent(argv: list[str]) -> dict:
    bodies = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(201, json={"id": 7, "status": "queued",
                                         "web_url": "http://x/tasks/7"})

    api = Api("http://x", "cwt_t", transport=httpx.MockTransport(server))
    printer = Printer(io.StringIO(), io.StringIO())
    assert commands.ask(parse(argv), printer, api) == 0
    return bodies[0]


def test_ask_sends_the_model_and_mode_it_is_given():
    body = _sent(["ask", "3", "--model", "claude-opus-4-1", "--mode", "plan", "-d", "Fix it"])
    assert body == {"kind": "claude", "prompt": "Fix it", "priority": "normal",
                    "model": "claude-opus-4-1", "permission_mode": "plan"}


def test_ask_without_choices_leaves_them_to_the_project():
    assert _sent(["ask", "3", "-d", "Fix it"]) == {"kind": "claude", "prompt": "Fix it",
                                                   "priority": "normal"}


def test_the_modes_offered_are_the_services():
    import importlib

    from clawweb.services.agents.choices import MODE_RANK

    assert set(importlib.import_module("clawweb.cli.main")._MODES) == set(MODE_RANK)
