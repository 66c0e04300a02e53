"""Event-handler latency for ``/metrics``: every Reflex event, timed by its handler.

Reflex never calls an app middleware's ``postprocess`` (0.10 runs events in
``reflex_base``'s event processor, which only calls ``preprocess``), so timing
cannot live in a middleware. The processor's documented override point is
``_execute_event`` ("Subclasses should override ``_execute_event``",
``reflex_base/event/processor/event_processor.py``): it runs once per event,
foreground or background, after the event's handler was looked up in the
registry. ``install()`` makes the app build ``TimedEventProcessor`` instead of
``BaseStateEventProcessor`` (``reflex.app.App._setup_event_processor`` names the
class through its module), once, before the app's lifespan starts.

The label is the handler's qualified name (``TaskState.cancel``): only names of
handlers in the code reach here (an unknown event name finds no handler and is
refused before), so the series are bounded. Background handlers (live loops
that run as long as a page is open) are labelled apart, so they do not drown
the latency of clicks.
"""

from __future__ import annotations

import time

from prometheus_client import Histogram

EVENT_LATENCY = Histogram(
    "clawweb_event_handler_duration_seconds",
    "Reflex event handlers, from the state lock to the last delta, by handler",
    ["handler", "background"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0))


def handler_label(fn) -> str:
    """The metric label of a handler function: its qualified name, no ids."""
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "unknown")


def _timed_class():
    from reflex_base.event.processor.base_state_processor import BaseStateEventProcessor

    class TimedEventProcessor(BaseStateEventProcessor):
        """``BaseStateEventProcessor`` that observes each event's duration."""

        async def _execute_event(self, *, entry, registered_handler) -> None:
            handler = registered_handler.handler
            start = time.perf_counter()
            try:
                await super()._execute_event(entry=entry, registered_handler=registered_handler)
            finally:
                EVENT_LATENCY.labels(handler_label(handler.fn),
                                     "true" if handler.is_background else "false"
                                     ).observe(time.perf_counter() - start)

    return TimedEventProcessor


def install() -> None:
    """Make this process's Reflex app time its events (idempotent)."""
    import reflex.app

    current = reflex.app.BaseStateEventProcessor
    if getattr(current, "_clawweb_timed", False):
        return
    timed = _timed_class()
    timed._clawweb_timed = True
    reflex.app.BaseStateEventProcessor = timed
