"""Reflex config, derived from clawweb's one settings object."""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from clawweb.settings import get_settings

_s = get_settings()
_state_redis = _s.shared_state_redis_url
if _state_redis:
    # With a redis_url Reflex's production server starts 2 * cores + 1 processes;
    # clawweb starts as many as it was told.
    os.environ.setdefault("GRANIAN_WORKERS", str(max(1, _s.web_processes)))

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
    # One web process: tab states live in its memory, never on disk. Reflex's
    # default (disk) pickles every tab's state into .states/, router headers
    # included, so live session cookies would sit in files; and it pickles on
    # the event loop, unlocked, while a handler thread may be writing that
    # state (state/offload.py). The state is a cache that a reconnecting page
    # rebuilds (Reflex re-hydrates and re-runs on_load).
    # Several (CLAWWEB_WEB_PROCESSES > 1, or CLAWWEB_STATE_REDIS_URL for backends
    # on several hosts): Reflex's Redis state manager, so a tab's next event may
    # reach any backend; it pickles under the tab's Redis lock, after the handler.
    state_manager_mode=(rx.constants.StateManagerMode.REDIS if _state_redis
                        else rx.constants.StateManagerMode.MEMORY),
    redis_url=_state_redis or None,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(
        theme=rx.theme(accent_color="teal", radius="medium", appearance="inherit"))],
)
