"""Reflex config, derived from clawweb's one settings object."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from clawweb.settings import get_settings

_s = get_settings()

config = rx.Config(
    app_name="clawweb",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # One port serves the built frontend and the event WebSocket (--single-port).
    frontend_port=_s.port,
    backend_port=_s.port,
    backend_host=_s.host,
    api_url=_s.origin,
    deploy_url=_s.origin,
    # A WebSocket from any other Origin is refused: never "*".
    cors_allowed_origins=[_s.origin],
    # Behind N reverse proxies, router.session.client_ip is the real client's
    # (the N-th address from the right of X-Forwarded-For), not the proxy's.
    trusted_proxy_hops=_s.trusted_proxy_hops,
    # Tab states live in this one process's memory, never on disk. Reflex's
    # default (disk) pickles every tab's state into .states/, router headers
    # included, so live session cookies would sit in files; and it pickles on
    # the event loop, unlocked, while a handler thread may be writing that
    # state (state/offload.py). The state is a cache that a reconnecting page
    # rebuilds (Reflex re-hydrates and re-runs on_load). Without a Reflex
    # redis_url, `reflex run` starts one backend process, which memory needs.
    state_manager_mode=rx.constants.StateManagerMode.MEMORY,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(
        theme=rx.theme(accent_color="teal", radius="medium", appearance="inherit"))],
)
