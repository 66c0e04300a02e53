"""``/metrics`` times every Reflex event handler: a real event over the real socket.

Here, not in tests/observe, to reuse this package's backend (one server start less
in CI). The event goes over Engine.IO exactly as a browser sends it
(``tests.e2e.harness.EventSocket``), so what is timed is the app's own event path.
"""

from __future__ import annotations

import re
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import EventSocket

METRIC = "clawweb_event_handler_duration_seconds"


def _handler_counts(server) -> dict[str, float]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{server.url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == f"{METRIC}_count":
                counts[s.labels["handler"]] = counts.get(s.labels["handler"], 0) + s.value
    return counts


def _wait_count(server, handler: str, above: float, timeout: float = 15) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        counts = _handler_counts(server)
        if counts.get(handler, 0) > above or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def test_an_event_handler_run_is_timed_by_its_qualified_name(api_server):
    from clawweb.state.base import AppState

    before = _handler_counts(api_server).get("AppState.heartbeat", 0)
    sock = EventSocket(api_server, "/login/")
    try:
        sock.wait_for(lambda update: True, timeout=15)  # hydrated
        sock.send(AppState.event_handlers["heartbeat"])
        counts = _wait_count(api_server, "AppState.heartbeat", before)
    finally:
        sock.close()
    assert counts.get("AppState.heartbeat", 0) == before + 1, counts
    # Labels are handler names from the code, never tokens, paths or ids.
    assert all(re.fullmatch(r"[A-Za-z_]\w*(\.[<>\w]+)+", name) for name in counts), counts
