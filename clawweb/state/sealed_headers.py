"""Tab states in Redis hold the handshake's credentials only sealed.

With several web processes, Reflex's Redis state manager pickles every tab's
root state into Redis (and so into its AOF file on disk). That state's router
holds the event socket's handshake headers, the Cookie header with the raw
session token among them; the database itself only ever stores its hash.
``install()`` registers a pickle reducer for Reflex's ``HeaderData`` that
stores the private headers (Cookie, Authorization and the other credential
headers Reflex itself never sends to a browser) encrypted with the
installation's secret key (``clawweb.services.crypto``, AES-GCM) and opens them
again on load, so every backend that has the key gets the tab back whole:
a background loop that re-reads its state from Redis still finds its caller.
Headers sealed under a key this process does not have come back without the
credentials: that tab is signed out, nothing breaks. The root state's raw
``router_data`` holds the same headers as a plain dict: its private entries
are left out of the pickle (Reflex replaces ``router_data`` on every event,
and the router clawweb reads is the sealed ``HeaderData``).
"""

from __future__ import annotations

import copyreg
import dataclasses
import json

from reflex.istate import data as reflex_data
from reflex.istate.data import HeaderData
from reflex.state import State

from clawweb.services import crypto

AAD = "clawweb reflex state headers"
# Reflex's own list of headers it keeps from the browser (cookie, authorization, ...).
PRIVATE = frozenset(getattr(reflex_data, "_PRIVATE_HEADERS", ())) | {"cookie", "authorization"}


def _reduce(headers: HeaderData):
    fields = {f.name: getattr(headers, f.name) for f in dataclasses.fields(headers)}
    raw = dict(fields.pop("raw_headers") or {})
    secret = {"cookie": fields.pop("cookie", ""),
              "raw": {k: raw.pop(k) for k in list(raw) if k.lower() in PRIVATE}}
    sealed = crypto.encrypt(json.dumps(secret), aad=AAD) if secret["cookie"] or secret["raw"] \
        else ""
    return restore, (fields, raw, sealed)


def restore(fields: dict, raw: dict, sealed: str) -> HeaderData:
    """Rebuild pickled headers, opening the sealed credentials (pickle calls this)."""
    cookie = ""
    if sealed:
        try:
            secret = json.loads(crypto.decrypt(sealed, aad=AAD))
            cookie, raw = secret["cookie"], {**raw, **secret["raw"]}
        except crypto.SecretUnreadable:
            pass  # another installation's key: the tab comes back signed out
    frozen = getattr(reflex_data, "_FrozenDictStrStr", dict)
    return HeaderData(**fields, cookie=cookie, raw_headers=frozen(**raw))


def _reduce_root(state: State):
    # __getstate__ hands back the live instance dict: copy before leaving out.
    func, args, fields, *rest = object.__reduce_ex__(state, 4)
    router_data = (fields or {}).get("router_data") or {}
    if isinstance(router_data.get("headers"), dict):
        headers = {k: v for k, v in router_data["headers"].items() if k.lower() not in PRIVATE}
        fields = {**fields, "router_data": {**router_data, "headers": headers}}
    return (func, args, fields, *rest)


def install() -> None:
    """Seal the headers of every tab state pickled from now on (idempotent)."""
    copyreg.pickle(HeaderData, _reduce)
    # pickle's dispatch table is keyed by exact type: Reflex's root state is
    # always reflex.state.State itself (clawweb's states are its substates).
    copyreg.pickle(State, _reduce_root)
