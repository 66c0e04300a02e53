"""The notification pages: centre, settings (events and quiet hours), channels, devices, log."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.layout import page
from clawweb.components.notify import centre, notify_tabs
from clawweb.components.notify_settings import (add_channel, channel_list, delivery_log,
                                                devices, preferences, quiet_hours)


def _page(active: str, *children: rx.Component) -> rx.Component:
    return page(notify_tabs(active), rx.vstack(*children, spacing="4", width="100%",
                                               max_width="720px"),
                title_key="notify.ui.title")


def centre_page() -> rx.Component:
    return _page(routes.NOTIFICATIONS, centre())


def settings_page() -> rx.Component:
    return _page(routes.NOTIFY_SETTINGS, preferences(), quiet_hours())


def channels_page() -> rx.Component:
    return _page(routes.NOTIFY_CHANNELS, channel_list(), add_channel())


def devices_page() -> rx.Component:
    return _page(routes.NOTIFY_DEVICES, devices())


def log_page() -> rx.Component:
    return _page(routes.NOTIFY_LOG, delivery_log())
