"""Spend is metered and enforced by the egress proxy, which sees every model reply."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
from hypothesis import given, settings, strategies as st

from tests.fixtures.fake_anthropic import FakeAnthropic, text
from tests.worker.egress_support import MapResolver
from worker.egress import EgressLimits, EgressProxy, ModelCredential
from worker.egress.pricing import DEFAULT, TABLE, cost_usd, price_for
from worker.egress.spend import UsageMeter

M = 1_000_000


# -- one price table ----------------------------------------------------------------

@pytest.mark.parametrize("model,usage,usd", [
    ("claude-sonnet-4-5-20250929", {"input_tokens": M}, 3.0),
    ("claude-sonnet-4-5", {"output_tokens": M}, 15.0),
    ("claude-opus-4-5-20251101", {"input_tokens": M, "output_tokens": M}, 30.0),
    ("claude-opus-4-5", {"cache_read_input_tokens": M}, 0.5),
    ("claude-opus-4-5", {"cache_creation_input_tokens": M}, 6.25),
    ("claude-opus-4-5", {"cache_creation_input_tokens": M,
                         "cache_creation": {"ephemeral_1h_input_tokens": M}}, 10.0),
    ("claude-opus-4-20250514", {"input_tokens": M}, 15.0),
    ("claude-opus-4-1-20250805", {"output_tokens": M}, 75.0),
    ("claude-3-5-haiku-20241022", {"input_tokens": M}, 0.8),
    ("claude-haiku-4-5-20251001", {"output_tokens": M}, 5.0),
    ("claude-sonnet-5", {"input_tokens": M}, 2.0),
    ("claude-opus-5-5", {"input_tokens": 200, "output_tokens": 40}, 0.0016),
    ("claude-opus-5-5", {"cache_read_input_tokens": M}, 0.2),
    ("claude-haiku-5-5", {"input_tokens": 1000}, 0.0001),
    ("claude-haiku-5-5", {"input_tokens": 200_000}, 0.1),       # long-prompt tier
    ("claude-sonnet-4-5", {"server_tool_use": {"web_search_requests": 10}}, 0.1),
    ("claude-opus-4-6", {"input_tokens": M, "speed": "fast"}, 30.0),
    ("claude-sonnet-4-5", {"input_tokens": M, "inference_geo": "us"}, 3.3),
])
def test_prices_come_from_one_table(model, usage, usd):
    assert cost_usd(model, usage) == pytest.approx(usd)


@pytest.mark.parametrize("model", ["", "claude-nonesuch-9", "gpt-4o", "claude-opus-4-9",
                                   "claude-sonnet-4-5-evil", "CLAUDE-SONNET-4-5x"])
def test_unknown_models_get_the_most_expensive_price(model):
    price = price_for(model)
    assert price is DEFAULT
    for known in TABLE.values():
        assert price.input >= known.input and price.output >= known.output
        assert price.cache_write_5m >= known.cache_write_5m
        assert price.cache_read >= known.cache_read


def test_garbage_usage_numbers_cost_nothing_rather_than_crash():
    assert cost_usd("claude-sonnet-4-5", {"input_tokens": "lots", "output_tokens": -5,
                                          "cache_read_input_tokens": None}) == 0


# -- the meter, fed in arbitrary pieces -------------------------------------------

def _sse(*events) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


STREAM = _sse(
    {"type": "message_start", "message": {"model": "claude-opus-4-5", "usage": {
        "input_tokens": 100, "cache_read_input_tokens": 50, "cache_creation_input_tokens": 7,
        "output_tokens": 1}}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}},
    {"type": "ping"},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
     "usage": {"output_tokens": 20}},
    {"type": "message_stop"})
STREAM_USAGE = {"input_tokens": 100, "cache_read_input_tokens": 50,
                "cache_creation_input_tokens": 7, "output_tokens": 20}
JSON = json.dumps({"id": "m", "type": "message", "model": "claude-opus-4-5",
                   "content": [{"type": "text", "text": "}{\"usage\": 1"}],
                   "usage": STREAM_USAGE}).encode()


def _feed(meter: UsageMeter, data: bytes, cuts: list[int]) -> UsageMeter:
    points = sorted({min(c, len(data)) for c in cuts})
    start = 0
    for point in points + [len(data)]:
        meter.feed(data[start:point])
        start = point
    assert meter.finish()
    return meter


@settings(max_examples=300, deadline=None)
@given(cuts=st.lists(st.integers(0, len(STREAM)), max_size=12), crlf=st.booleans())
def test_the_sse_meter_reads_usage_however_the_stream_is_cut(cuts, crlf):
    data = STREAM.replace(b"\n", b"\r\n") if crlf else STREAM
    meter = _feed(UsageMeter("text/event-stream; charset=utf-8"), data, cuts)
    assert meter.model == "claude-opus-4-5" and meter.usage == STREAM_USAGE


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(0, len(JSON)), max_size=12))
def test_the_json_meter_reads_usage_however_the_body_is_cut(cuts):
    meter = _feed(UsageMeter("application/json"), JSON, cuts)
    assert meter.model == "claude-opus-4-5" and meter.usage == STREAM_USAGE


def test_a_final_delta_with_full_usage_overrides_the_start():
    data = _sse({"type": "message_start", "message": {"model": "claude-opus-4-5", "usage": {
                    "input_tokens": 5, "output_tokens": 1}}},
                {"type": "message_delta", "usage": {"input_tokens": 900, "output_tokens": 30,
                                                    "cache_read_input_tokens": 4}})
    meter = _feed(UsageMeter("text/event-stream"), data, [])
    assert meter.usage == {"input_tokens": 900, "output_tokens": 30, "cache_read_input_tokens": 4}


def test_a_huge_event_is_skipped_without_losing_the_rest():
    big = {"type": "content_block_delta", "delta": {"text": "x" * (3 * 1024 * 1024)}}
    data = STREAM[:STREAM.index(b"event: content_block_delta")] + _sse(big) + \
        STREAM[STREAM.index(b"event: content_block_delta"):]
    meter = _feed(UsageMeter("text/event-stream"), data, list(range(0, len(data), 65536)))
    assert meter.usage == STREAM_USAGE
    assert meter.buffered < 2 * 1024 * 1024


# -- the proxy enforces the budget ---------------------------------------------------

def _proxy(tmp_path, api, **kw):
    budget_calls: list[tuple[float, float]] = []
    proxy = EgressProxy(
        socket_path=tmp_path / "e.sock", model_url=api.url,
        credential=ModelCredential("api_key", "real-key"), own_hosts=("127.0.0.1:8377",),
        resolver=MapResolver({}), on_budget=lambda s, b: budget_calls.append((s, b)),
        **kw).start()
    return proxy, budget_calls


def _client(tmp_path):
    return httpx.Client(transport=httpx.HTTPTransport(uds=str(tmp_path / "e.sock")), timeout=20)


def _call(c, *, stream: bool, path="/v1/messages?beta=true", **headers):
    body = {"model": "claude-sonnet-4-5", "max_tokens": 5, "stream": stream,
            "messages": [{"role": "user", "content": "x"}], "tools": [{"name": "t"}]}
    return c.post(f"http://127.0.0.1:8377{path}", json=body, headers=headers)


EXPENSIVE = 3.0 + 20 * 15 / M  # a million input tokens and 20 output, on Sonnet 4.5


@pytest.mark.parametrize("stream", [False, True])
def test_model_calls_are_refused_once_the_budget_is_spent(tmp_path, stream):
    api = FakeAnthropic([text("a", input_tokens=M) for _ in range(4)]).start()
    proxy, budget_calls = _proxy(tmp_path, api, budget_usd=5.0)
    try:
        with _client(tmp_path) as c:
            assert _call(c, stream=stream).status_code == 200
            assert proxy.spent_usd == pytest.approx(EXPENSIVE)
            assert _call(c, stream=stream).status_code == 200  # 3 < 5: allowed, now 6 > 5
            assert budget_calls == []
            refused = _call(c, stream=stream)
            again = _call(c, stream=stream)
            counted = c.post("http://127.0.0.1:8377/v1/messages/count_tokens", json={})
        assert refused.status_code == 402 and again.status_code == 402
        assert refused.headers["x-should-retry"] == "false"
        error = refused.json()
        assert error["type"] == "error" and error["error"]["type"] == "billing_error"
        assert "budget" in error["error"]["message"]
        assert len(api.main_requests) == 2
        assert proxy.spent_usd == pytest.approx(2 * EXPENSIVE)
        assert budget_calls == [(pytest.approx(2 * EXPENSIVE), 5.0)]  # once, not per call
        assert counted.status_code == 200  # counting tokens costs nothing
    finally:
        proxy.stop()
        api.stop()


def test_without_a_budget_spend_is_still_metered(tmp_path):
    api = FakeAnthropic([text("a", input_tokens=M) for _ in range(3)]).start()
    proxy, budget_calls = _proxy(tmp_path, api, budget_usd=None)
    try:
        with _client(tmp_path) as c:
            assert all(_call(c, stream=s).status_code == 200 for s in (True, False, True))
        assert proxy.spent_usd == pytest.approx(3 * EXPENSIVE) and budget_calls == []
    finally:
        proxy.stop()
        api.stop()


def test_asking_for_a_compressed_reply_does_not_hide_its_usage(tmp_path):
    api = FakeAnthropic([text("a", input_tokens=M)], gzip_when_asked=True).start()
    proxy, _ = _proxy(tmp_path, api, budget_usd=5.0)
    try:
        with _client(tmp_path) as c:
            r = _call(c, stream=False, **{"accept-encoding": "gzip, br, zstd, x-custom"})
        assert r.status_code == 200 and r.json()["usage"]["input_tokens"] == M
        assert proxy.spent_usd == pytest.approx(EXPENSIVE)
    finally:
        proxy.stop()
        api.stop()


def test_hanging_up_mid_stream_does_not_hide_the_final_usage(tmp_path):
    words = " ".join(f"w{i}" for i in range(10))
    api = FakeAnthropic([text(words, input_tokens=10, output_tokens=M, event_delay=0.1)]).start()
    proxy, _ = _proxy(tmp_path, api, budget_usd=50.0)
    body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 5, "stream": True,
                       "messages": [], "tools": [{"name": "t"}]})
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(tmp_path / "e.sock"))
            s.sendall(f"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:8377\r\n"
                      f"content-length: {len(body)}\r\n\r\n{body}".encode())
            seen = b""
            while b"message_start" not in seen:
                seen += s.recv(4096)
        # Hung up after message_start: the proxy still reads on to message_delta.
        deadline = time.monotonic() + 10
        while proxy.spent_usd < 15.0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.spent_usd == pytest.approx(10 * 3 / M + 15.0)
    finally:
        proxy.stop()
        api.stop()


def test_parallel_model_calls_are_bounded(tmp_path):
    active, peak, lock = [0], [0], threading.Lock()

    def slow(_req):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.3)
        with lock:
            active[0] -= 1
        return text("a")

    api = FakeAnthropic([slow] * 6).start()
    proxy, _ = _proxy(tmp_path, api, budget_usd=5.0, limits=EgressLimits(model_concurrency=2))
    try:
        codes: list[int] = []

        def one():
            with _client(tmp_path) as c:
                codes.append(_call(c, stream=False).status_code)

        threads = [threading.Thread(target=one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert codes == [200] * 6 and peak[0] == 2
    finally:
        proxy.stop()
        api.stop()
