"""``clawweb``: the command-line client of the REST API (``python -m clawweb.cli``).

Plain Python and httpx, nothing of the server: it runs on any machine that can
reach clawweb. ``main`` is the console script's entry point.
"""

from clawweb.cli.main import main

__all__ = ["main"]
