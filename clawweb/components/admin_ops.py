"""Admin ops views: cards that stack on a phone and sit side by side on a desk."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.i18n import tr
from clawweb.state.admin_ops import OpsState

CARD = {"width": "100%", "size": "2"}


def _stat(label_key: str, value) -> rx.Component:
    return rx.vstack(rx.text(tr(label_key), size="1", color_scheme="gray"),
                     rx.text(value, size="4", weight="bold"), gap="0", min_width="80px")


def depth_card(d) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(d.priority, size="3", data_testid="queue-priority"),
            rx.flex(_stat("admin.queue_waiting", d.waiting), _stat("admin.queue_in_rq", d.in_rq),
                    _stat("admin.queue_oldest", d.oldest_wait.to_string() + " s"),
                    gap="4", wrap="wrap"),
            gap="2"),
        **CARD, data_testid="queue-depth")


def waiting_row(w) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.link(f"#{w.task_id}", href=routes.task(w.task_id), weight="bold"),
            rx.text(w.project, size="2", truncate=True, flex="1", min_width="0"),
            rx.badge(w.priority, color_scheme="gray"),
            rx.text(w.waited.to_string() + " s", size="2", color_scheme="gray"),
            rx.match(w.reason,
                     ("no_worker", rx.badge(tr("admin.reason_no_worker"), color_scheme="red")),
                     ("project_limit", rx.badge(tr("admin.reason_project_limit"),
                                                color_scheme="amber")),
                     ("workers_busy", rx.badge(tr("admin.reason_workers_busy"),
                                               color_scheme="amber")),
                     rx.badge(tr("admin.reason_starting"), color_scheme="green")),
            gap="2", align="center", wrap="wrap"),
        **CARD, data_testid="waiting-task")


def worker_card(w) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(w.name, weight="bold", truncate=True, flex="1", min_width="0"),
                rx.cond(w.alive, rx.badge(tr("admin.worker_alive"), color_scheme="green"),
                        rx.badge(tr("admin.worker_dead"), color_scheme="red")),
                rx.cond(w.draining, rx.badge(tr("admin.worker_draining"), color_scheme="amber")),
                width="100%", align="center"),
            rx.flex(_stat("admin.worker_host", rx.cond(w.host != "", w.host, "—")),
                    _stat("admin.worker_task", rx.cond(
                        w.task_ids.length() > 0,
                        rx.hstack(rx.foreach(w.task_ids, lambda t: rx.link(
                            "#" + t.to_string(), href=routes.task(t))),
                            gap="2", wrap="wrap"),
                        tr("admin.worker_idle"))),
                    _stat("admin.worker_slots", rx.text(
                        w.task_ids.length().to_string() + " / " + w.slots.to_string(),
                        data_testid="worker-slots")),
                    _stat("admin.worker_beat", w.heartbeat_age.to_string() + " s"),
                    gap="4", wrap="wrap"),
            rx.cond(w.alive & ~w.draining,
                    rx.button(tr("admin.drain"), size="2", variant="soft", color_scheme="amber",
                              on_click=OpsState.drain_worker(w.name),
                              data_testid="drain-worker")),
            rx.cond(w.draining,
                    rx.button(tr("admin.undrain"), size="2", variant="soft",
                              on_click=OpsState.undrain_worker(w.name))),
            gap="2", width="100%"),
        **CARD, data_testid="worker-card")


def usage_chart() -> rx.Component:
    """Tokens per day; the responsive container keeps it inside a phone's width."""
    return rx.box(
        rx.recharts.responsive_container(
            rx.recharts.bar_chart(
                rx.recharts.bar(data_key="tokens", fill=rx.color("accent", 9)),
                rx.recharts.x_axis(data_key="day"),
                rx.recharts.y_axis(width=48),
                rx.recharts.graphing_tooltip(),
                data=OpsState.usage_days),
            width="100%", height=220),
        width="100%", min_height="220px", data_testid="usage-chart")


def usage_row(r) -> rx.Component:
    return rx.card(
        rx.flex(rx.text(r.day, size="2", weight="bold"), rx.text(r.user, size="2"),
                rx.text(r.project, size="2", truncate=True, min_width="0"),
                rx.text(r.tasks.to_string() + " ×", size="2", color_scheme="gray"),
                rx.text((r.input_tokens + r.output_tokens).to_string() + " tok", size="2"),
                rx.text("$" + r.cost_usd.to_string(), size="2"),
                gap="3", wrap="wrap", align="center"),
        **CARD, data_testid="usage-row")


def kpi_card(k) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(k.kind, size="3"),
            rx.flex(_stat("admin.kpi_tasks", k.tasks),
                    _stat("admin.kpi_success", (k.success_rate * 100).to(int).to_string() + "%"),
                    _stat("admin.kpi_median", k.median_seconds.to_string() + " s"),
                    _stat("admin.kpi_tokens", k.tokens_per_task.to_string()),
                    gap="4", wrap="wrap"),
            gap="2"),
        **CARD, data_testid="agent-kpi")


def csv_link() -> rx.Component:
    return rx.link(rx.button(tr("admin.usage_csv"), size="2", variant="soft"),
                   href=routes.API_ADMIN_USAGE_CSV, is_external=False,
                   data_testid="usage-csv")
