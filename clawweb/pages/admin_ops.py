"""Admin pages: queues, workers, usage and per-agent KPIs (mobile first)."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.admin import admin_page, admin_tabs
from clawweb.components.admin_ops import (
    csv_link, depth_card, kpi_card, usage_chart, usage_row, waiting_row, worker_card,
)
from clawweb.components.i18n import tr
from clawweb.components.layout import empty_state, loading
from clawweb.state.admin_ops import OpsState


def _refresh(handler) -> rx.Component:
    return rx.hstack(
        rx.cond(OpsState.ops_error != "",
                rx.callout(OpsState.ops_error, icon="triangle-alert", color_scheme="red",
                           size="1")),
        rx.spacer(),
        rx.icon_button(rx.icon("refresh-cw"), variant="soft", on_click=handler,
                       aria_label=tr("admin.refresh"), data_testid="ops-refresh"),
        width="100%", margin_bottom="var(--space-3)")


def _grid(items, render) -> rx.Component:
    return rx.grid(rx.foreach(items, render), columns={"initial": "1", "md": "3"},
                   gap="3", width="100%")


def queues_page() -> rx.Component:
    return admin_page(
        admin_tabs(routes.ADMIN_QUEUES),
        _refresh(OpsState.load_queues),
        rx.cond(OpsState.ops_loaded, rx.vstack(
            _grid(OpsState.depths, depth_card),
            rx.heading(tr("admin.queue_waiting_title"), size="3",
                       margin_top="var(--space-4)"),
            rx.cond(OpsState.waiting.length() > 0,
                    rx.vstack(rx.foreach(OpsState.waiting, waiting_row), gap="2",
                              width="100%"),
                    empty_state("inbox", "admin.queue_empty", "admin.queue_empty_hint")),
            gap="3", width="100%"), loading()),
        title_key="admin.title")


def workers_page() -> rx.Component:
    return admin_page(
        admin_tabs(routes.ADMIN_WORKERS),
        _refresh(OpsState.load_workers),
        rx.cond(OpsState.ops_loaded,
                rx.cond(OpsState.fleet.length() > 0, _grid(OpsState.fleet, worker_card),
                        empty_state("server-off", "admin.workers_empty",
                                    "admin.workers_empty_hint")),
                loading()),
        title_key="admin.title")


def usage_page() -> rx.Component:
    return admin_page(
        admin_tabs(routes.ADMIN_USAGE),
        rx.hstack(rx.heading(tr("admin.usage_title"), size="3"), rx.spacer(), csv_link(),
                  width="100%", align="center", margin_bottom="var(--space-3)"),
        rx.cond(OpsState.ops_loaded, rx.vstack(
            usage_chart(),
            rx.cond(OpsState.usage_rows.length() > 0,
                    rx.vstack(rx.foreach(OpsState.usage_rows, usage_row), gap="2",
                              width="100%"),
                    empty_state("chart-column", "admin.usage_empty", "admin.usage_empty_hint")),
            rx.heading(tr("admin.kpi_title"), size="3", margin_top="var(--space-4)"),
            _grid(OpsState.kpis, kpi_card),
            gap="3", width="100%"), loading()),
        title_key="admin.title")
