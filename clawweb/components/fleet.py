"""The banner that says plainly when no worker is alive (task, queue, admin pages)."""

from __future__ import annotations

import reflex as rx
from reflex_components_moment import moment

from clawweb.components.i18n import tr
from clawweb.state.fleet import FleetState

POLL_MS = 5000


def no_worker_banner() -> rx.Component:
    """A red callout while no worker beats; it polls the count itself."""
    return rx.box(
        rx.cond(
            FleetState.workers_alive == 0,
            rx.callout.root(
                rx.callout.icon(rx.icon("server-off")),
                rx.vstack(
                    rx.text(tr("fleet.no_worker"), weight="bold", size="2"),
                    rx.text(tr("fleet.no_worker_hint"), size="2"),
                    gap="1"),
                color_scheme="red", role="alert", margin_bottom="var(--space-3)",
                data_testid="no-worker-banner"),
        ),
        moment(interval=POLL_MS, on_change=FleetState.poll_workers, display="none"),
        on_mount=FleetState.poll_workers,
        width="100%",
    )
