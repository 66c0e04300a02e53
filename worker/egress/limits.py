"""How much and how long one request through the egress proxy may take.

The container cannot be trusted to bound its own traffic, so the worker does:
every body is streamed (never held whole) and cut off at its cap, and every
request has a connect, an idle and a total deadline. Model replies have no
size cap (a long answer is a legitimate answer) but are bounded in time.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class EgressLimits:
    """Per-request limits of one task's egress proxy (defaults: clawweb.settings)."""

    max_request_bytes: int = 32 * MiB  # any request body, model calls included
    max_response_bytes: int = 512 * MiB  # allow-listed hosts; per tunnel for CONNECT
    connect_timeout: float = 10.0
    idle_timeout: float = 60.0  # no byte either way for this long: cut off
    total_timeout: float = 1800.0  # one request, or one CONNECT tunnel, end to end
    model_idle_timeout: float = 600.0  # a model may think long before its first byte
    model_total_timeout: float = 3600.0
    model_concurrency: int = 8  # model calls in flight at once (bounds budget overshoot)
    refusals_per_second: int = 5  # refusal events; the rest are summed up

    @classmethod
    def from_settings(cls, settings) -> "EgressLimits":
        """The limits configured in ``clawweb.settings.Settings``."""
        s = settings
        return cls(
            max_request_bytes=s.egress_max_request_bytes,
            max_response_bytes=s.egress_max_response_bytes,
            connect_timeout=s.egress_connect_timeout_seconds,
            idle_timeout=s.egress_idle_timeout_seconds,
            total_timeout=s.egress_total_timeout_seconds,
            # The CLI's own per-request timeout decides; ours is only the backstop.
            model_idle_timeout=max(s.egress_idle_timeout_seconds,
                                   s.claude_api_timeout_ms / 1000 + 30),
            model_total_timeout=s.egress_model_total_timeout_seconds,
            model_concurrency=s.egress_model_concurrency,
            refusals_per_second=s.egress_refusals_per_second,
        )
