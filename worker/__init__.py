"""The clawweb worker: RQ jobs that run tasks in sandboxes (``python -m worker``).

``WORKER_NAME`` identifies this process in heartbeats, task rows and container
labels; ``python -m worker`` sets it, and a job run elsewhere (tests) gets the
same ``<host>-<pid>`` default the Docker backend uses.
"""

from __future__ import annotations

import os
import socket

WORKER_NAME = ""


def worker_name() -> str:
    return WORKER_NAME or f"{socket.gethostname()}-{os.getpid()}"
