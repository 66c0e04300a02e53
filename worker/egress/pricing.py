"""The one price table: US dollars per million tokens, per Claude model.

Prices follow the model catalog baked into the Claude Code CLI this image
ships (2.1.330), which are Anthropic's list prices, so the proxy's total and
the CLI's ``total_cost_usd`` agree. A model not in the table is priced as the
most expensive one: an unknown name must not make spending cheap. Update the
table when the CLI in the runner image moves on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens (``web_search``: per request)."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    web_search: float = 0.01
    long_prompt: "Price | None" = None  # used above ``long_prompt_above`` prompt tokens
    long_prompt_above: int = 0


def _tier(i: float, o: float, cache_read: float | None = None) -> Price:
    # Cache writes cost 1.25x input (5 minutes) or 2x input (1 hour); reads 0.1x.
    return Price(i, o, i * 1.25, i * 2, i / 10 if cache_read is None else cache_read)


_HAIKU_55 = Price(0.1, 0.5, 0.125, 0.2, 0.01, long_prompt=_tier(0.5, 2.5, 0.05),
                  long_prompt_above=100_000)  # dearer above 100k prompt tokens

TABLE: dict[str, Price] = {
    "claude-3-haiku": Price(0.25, 1.25, 0.3, 0.5, 0.03),
    "claude-3-5-haiku": Price(0.8, 4, 1, 1.6, 0.08),
    "claude-haiku-4-5": _tier(1, 5),
    "claude-haiku-5-5": _HAIKU_55,
    "claude-3-sonnet": _tier(3, 15),
    "claude-3-5-sonnet": _tier(3, 15),
    "claude-3-7-sonnet": _tier(3, 15),
    "claude-sonnet-4-0": _tier(3, 15),
    "claude-sonnet-4-5": _tier(3, 15),
    "claude-sonnet-4-6": _tier(3, 15),
    "claude-sonnet-5": _tier(2, 10),
    "claude-sonnet-5-5": _tier(2, 10, 0.1),
    "claude-3-opus": _tier(15, 75),
    "claude-opus-4-0": _tier(15, 75),
    "claude-opus-4-1": _tier(15, 75),
    "claude-opus-4-5": _tier(5, 25),
    "claude-opus-4-6": _tier(5, 25),
    "claude-opus-4-7": _tier(5, 25),
    "claude-opus-4-8": _tier(5, 25),
    "claude-opus-5": _tier(5, 25),
    "claude-opus-5-5": _tier(4, 20, 0.2),
    "claude-fable-5": _tier(10, 50),
    "claude-fable-5-1": _tier(10, 50, 0.25),
    "claude-fable-5-2": _tier(8, 40, 0.2),
    "claude-mythos-5": _tier(10, 50),
    "claude-mythos-5-1": _tier(10, 50, 0.25),
    "claude-mythos-5-2": _tier(8, 40, 0.2),
}

# "Fast" output (usage.speed == "fast") on the models that offer it.
FAST: dict[str, Price] = {
    "claude-opus-4-6": _tier(30, 150),
    "claude-opus-4-7": _tier(30, 150),
    "claude-opus-4-8": _tier(10, 50),
    "claude-opus-5": _tier(10, 50),
    "claude-opus-5-5": _tier(8, 40, 0.4),
    "claude-fable-5-2": _tier(16, 80, 0.4),
    "claude-mythos-5-2": _tier(16, 80, 0.4),
}

DEFAULT = _tier(15, 75)  # the dearest standard price in TABLE
DEFAULT_FAST = _tier(30, 150)  # the dearest fast price in FAST

_ALIASES = {"claude-opus-4": "claude-opus-4-0", "claude-sonnet-4": "claude-sonnet-4-0"}
_SNAPSHOT = re.compile(r"-(?:20\d{6}|latest)\Z")
_US_ONLY_FACTOR = 1.1  # inference_geo "us" costs 10% more


def price_for(model: str, *, fast: bool = False) -> Price:
    """The price of ``model`` (a catalog id or a dated snapshot id)."""
    key = _SNAPSHOT.sub("", str(model or "").strip().lower())
    key = _ALIASES.get(key, key)
    if fast:
        return FAST.get(key, DEFAULT_FAST)
    return TABLE.get(key, DEFAULT)


def cost_usd(model: str, usage: dict[str, Any]) -> float:
    """What one reply with this ``usage`` block cost, in US dollars."""
    price = price_for(model, fast=usage.get("speed") == "fast")
    inp, out = _count(usage, "input_tokens"), _count(usage, "output_tokens")
    read = _count(usage, "cache_read_input_tokens")
    write = _count(usage, "cache_creation_input_tokens")
    if price.long_prompt is not None and inp + read + write > price.long_prompt_above:
        price = price.long_prompt
    split = usage.get("cache_creation") if isinstance(usage.get("cache_creation"), dict) else {}
    write_1h = min(_count(split, "ephemeral_1h_input_tokens"), write)
    tokens = (inp * price.input + out * price.output + read * price.cache_read
              + write_1h * price.cache_write_1h + (write - write_1h) * price.cache_write_5m)
    if usage.get("inference_geo") == "us":
        tokens *= _US_ONLY_FACTOR
    tools = usage.get("server_tool_use") if isinstance(usage.get("server_tool_use"), dict) else {}
    return tokens / 1_000_000 + _count(tools, "web_search_requests") * price.web_search


def _count(block: dict[str, Any], key: str) -> int:
    value = block.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
