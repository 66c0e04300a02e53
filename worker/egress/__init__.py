"""The worker side of a task's network: one egress proxy per task, on a unix socket.

The container has no network. Its bridge (worker/runner/bridge.py) carries
connections from the container's loopback to this proxy, which forwards only
to the model endpoint (injecting the real credential) and to the project's
allow-listed hosts, and reports every refusal.
"""

from worker.egress.proxy import EgressProxy, ModelCredential

__all__ = ["EgressProxy", "ModelCredential"]
