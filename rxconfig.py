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
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(
        theme=rx.theme(accent_color="teal", radius="medium", appearance="inherit"))],
)
