"""The worker side of a task's network: one egress proxy per task, on a unix socket.

The container has no network. Its bridge (worker/runner/bridge.py) carries
connections from the container's loopback to this proxy, which forwards only
the model API's own paths to the model endpoint (injecting the real credential,
metering spend against the task's budget) and allow-listed hosts (parsed
strictly, resolved once, connected to the checked address), streams every body
under size and time limits, and reports every refusal.

Modules: ``proxy`` (the server), ``target`` (the one strict parser), ``allow``
(the allow-list), ``dial`` (resolve and connect), ``relay`` (moving bytes under
limits), ``http1`` (the client side, h11), ``limits``, ``refusals`` (rate
limit), ``spend`` (usage meter and ledger), ``pricing`` (the one price table).
"""

from worker.egress.limits import EgressLimits
from worker.egress.proxy import EgressProxy, ModelCredential

__all__ = ["EgressLimits", "EgressProxy", "ModelCredential"]
