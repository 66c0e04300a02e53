"""The bell (top bar and the phone's bottom bar), the tabs and the notification centre."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.i18n import ago, tr
from clawweb.state.notify import NotifyState
from clawweb.state.notify_bell import NotifyBellState

TABS = [("notify.ui.tab_centre", routes.NOTIFICATIONS),
        ("notify.ui.tab_settings", routes.NOTIFY_SETTINGS),
        ("notify.ui.tab_channels", routes.NOTIFY_CHANNELS),
        ("notify.ui.tab_devices", routes.NOTIFY_DEVICES),
        ("notify.ui.tab_log", routes.NOTIFY_LOG)]


def _count() -> rx.Var:
    return rx.cond(NotifyBellState.unread > 99, "99+", NotifyBellState.unread.to_string())


def _badge(test_id: str) -> rx.Component:
    return rx.cond(NotifyBellState.unread > 0, rx.badge(
        _count(), color_scheme="red", variant="solid", radius="full", size="1",
        position="absolute", top="-6px", right="-10px", data_testid=test_id))


def bell() -> rx.Component:
    """The top bar's bell; mounting it starts this tab's live count."""
    return rx.link(
        rx.box(rx.icon("bell", size=20), _badge("bell-count"), position="relative",
               display="flex"),
        href=routes.NOTIFICATIONS, color_scheme="gray", high_contrast=True,
        aria_label=tr("notify.ui.bell"), data_testid="bell", padding_x="var(--space-2)",
        on_mount=NotifyBellState.watch_unread,
    )


def bell_nav_item() -> rx.Component:
    """The same count as an item of the phone's bottom bar."""
    return rx.link(
        rx.flex(rx.box(rx.icon("bell", size=20), _badge("nav-bell-count"), position="relative"),
                rx.text(tr("nav.notifications"), size="1"),
                direction="column", align="center", gap="1"),
        href=routes.NOTIFICATIONS, underline="none", color_scheme="gray", high_contrast=True,
        padding_x="var(--space-3)", padding_y="var(--space-2)", border_radius="8px", flex="1",
        text_align="center", data_testid="nav-notifications",
    )


def notify_tabs(active: str) -> rx.Component:
    from clawweb.components.layout import link_tabs  # noqa: PLC0415 - layout imports the bell

    return link_tabs(TABS, active)


def _item(row) -> rx.Component:
    unread = ~row["read"].to(bool)
    return rx.card(
        rx.hstack(
            rx.box(width="8px", height="8px", border_radius="50%", flex_shrink="0",
                   margin_top="6px",
                   background=rx.cond(unread, rx.color("accent", 9), "transparent")),
            rx.vstack(
                rx.text(row["title"].to(str), weight=rx.cond(unread, "bold", "regular"),
                        overflow_wrap="anywhere"),
                rx.text(row["body"].to(str), size="2", color_scheme="gray",
                        overflow_wrap="anywhere"),
                ago(row["created"].to(str), font_size="12px",
                    color=rx.color("gray", 10)),
                spacing="1", min_width="0", flex="1"),
            spacing="3", align="start", width="100%"),
        on_click=NotifyState.open_item(row["id"].to(int)), cursor="pointer", width="100%",
        role="link", data_testid="notification", data_read=row["read"].to(str),
    )


def centre() -> rx.Component:
    """The list, newest first, with "mark all read"."""
    return rx.vstack(
        rx.hstack(
            rx.spacer(),
            rx.button(rx.icon("check-check", size=16), tr("notify.ui.mark_all_read"),
                      variant="soft", size="2", on_click=NotifyState.mark_all_read,
                      data_testid="mark-all-read"),
            width="100%"),
        rx.cond(NotifyState.items.length() > 0,
                rx.vstack(rx.foreach(NotifyState.items, _item), spacing="2", width="100%"),
                rx.cond(NotifyState.items_loaded,
                        rx.center(rx.vstack(
                            rx.icon("bell-off", size=40, color=rx.color("gray", 9)),
                            rx.text(tr("notify.ui.empty"), color_scheme="gray"),
                            align="center"), padding_y="var(--space-8)", width="100%"))),
        spacing="3", width="100%", max_width="720px",
    )
