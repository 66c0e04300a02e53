"""Notification settings: events per channel, quiet hours, channels, devices, delivery log."""

from __future__ import annotations

import reflex as rx

from clawweb.components.admin import when
from clawweb.components.forms import error_callout
from clawweb.components.i18n import tr
from clawweb.state.notify import NotifyState
from clawweb.state.quiet_hours import QuietHoursState


def _section(title_key: str, *children, **props) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(tr(title_key), size="4"), *children, spacing="3",
                             width="100%"), width="100%", **props)


def _event_box(ev) -> rx.Component:
    return rx.el.label(
        rx.hstack(rx.checkbox(name="ev:" + ev["key"].to(str), default_checked=ev["on"].to(bool),
                              data_testid="pref-" + ev["key"].to(str)),
                  rx.text(ev["label"].to(str), size="2"), spacing="2", align="center"),
        width="100%")


def _pref_card(card) -> rx.Component:
    return rx.card(rx.form(
        rx.vstack(
            rx.text(card["name"].to(str), weight="bold", overflow_wrap="anywhere"),
            rx.el.input(type="hidden", name="channel", value=card["channel"].to(str),
                        read_only=True),
            rx.foreach(card["events"].to(list[dict]), _event_box),
            rx.button(tr("notify.ui.save"), type="submit", size="2",
                      data_testid="pref-save"),
            spacing="2", width="100%"),
        on_submit=NotifyState.save_channel_events, reset_on_submit=False, width="100%"),
        width="100%", data_testid="pref-card", data_channel=card["channel"].to(str))


def preferences() -> rx.Component:
    return _section(
        "notify.ui.prefs_title",
        rx.text(tr("notify.ui.prefs_hint"), size="2", color_scheme="gray"),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(data_testid="pref-scope", min_width="200px"),
                rx.select.content(rx.foreach(NotifyState.scope_options, lambda o: rx.select.item(
                    o["label"], value=o["value"]))),
                value=NotifyState.scope, on_change=NotifyState.choose_scope, size="2"),
            rx.cond(NotifyState.scope != "0", rx.button(
                tr("notify.ui.follow_all"), variant="soft", size="2",
                on_click=NotifyState.reset_scope)),
            spacing="2", wrap="wrap"),
        rx.vstack(rx.foreach(NotifyState.cards, _pref_card), spacing="3", width="100%"),
    )


def quiet_hours() -> rx.Component:
    return _section(
        "notify.ui.quiet_title",
        rx.text(tr("notify.ui.quiet_hint"), size="2", color_scheme="gray"),
        rx.form(rx.vstack(
            rx.text(tr("notify.ui.timezone"), size="2", weight="medium"),
            rx.input(name="timezone", default_value=QuietHoursState.quiet_zone, size="3",
                     width="100%", max_length=64, id="quiet-timezone",
                     data_testid="quiet-timezone"),
            rx.cond(QuietHoursState.zone_from_browser,
                    rx.text(tr("notify.ui.zone_from_browser"), size="1", color_scheme="gray",
                            data_testid="quiet-zone-from-browser")),
            rx.hstack(
                rx.vstack(rx.text(tr("notify.ui.quiet_from"), size="2"),
                          rx.input(name="start", type="time", size="3",
                                   default_value=QuietHoursState.quiet["start"],
                                   data_testid="quiet-start")),
                rx.vstack(rx.text(tr("notify.ui.quiet_to"), size="2"),
                          rx.input(name="end", type="time", size="3",
                                   default_value=QuietHoursState.quiet["end"],
                                   data_testid="quiet-end")),
                spacing="3", wrap="wrap"),
            rx.button(tr("notify.ui.save"), type="submit", size="3", data_testid="quiet-save"),
            spacing="2", width="100%", align="start"),
            on_submit=QuietHoursState.save_quiet, reset_on_submit=False, width="100%",
            # Remounted when the offered zone arrives: an input takes its default once.
            key=QuietHoursState.quiet_zone),
    )


def _field(f) -> rx.Component:
    return rx.vstack(
        rx.text(f["label"].to(str), size="2", weight="medium"),
        rx.input(name="f:" + f["name"].to(str), id="f:" + f["name"].to(str),
                 type=rx.cond(f["secret"].to(bool), "password", "text"),
                 placeholder=f["placeholder"].to(str), required=f["required"].to(bool),
                 auto_complete="off", size="3", width="100%", max_length=500,
                 data_testid="channel-field-" + f["name"].to(str)),
        spacing="1", width="100%")


def _options(items, test_id: str, name: str, on_change=None, value=None) -> rx.Component:
    props = {"on_change": on_change, "value": value} if on_change is not None else \
        {"default_value": "0"}
    return rx.select.root(
        rx.select.trigger(data_testid=test_id, width="100%"),
        rx.select.content(rx.foreach(items, lambda o: rx.select.item(o["label"],
                                                                     value=o["value"]))),
        name=name, size="3", **props)


def _language_select() -> rx.Component:
    """What the channel's messages speak; "auto" (Radix items cannot be ""): as I read."""
    return rx.select.root(
        rx.select.trigger(data_testid="channel-language", width="100%"),
        rx.select.content(
            rx.select.item(tr("notify.ui.language_auto"), value="auto"),
            rx.select.item("English", value="en"),
            rx.select.item("中文", value="zh")),
        name="language", size="3", default_value="auto")


def add_channel() -> rx.Component:
    return _section(
        "notify.ui.add_channel",
        error_callout(NotifyState.channel_error),
        _options(NotifyState.kind_options, "channel-kind", "kind",
                 on_change=NotifyState.choose_kind, value=NotifyState.new_kind),
        rx.form(rx.vstack(
            rx.text(tr("notify.ui.owner"), size="2", weight="medium"),
            _options(NotifyState.owner_options, "channel-owner", "owner"),
            rx.text(tr("notify.ui.channel_language"), size="2", weight="medium"),
            _language_select(),
            rx.text(tr("notify.ui.channel_name"), size="2", weight="medium"),
            rx.input(name="name", size="3", width="100%", max_length=100,
                     data_testid="channel-name"),
            rx.foreach(NotifyState.new_fields, _field),
            rx.button(rx.icon("plus", size=16), tr("notify.ui.add"), type="submit", size="3",
                      data_testid="channel-add"),
            spacing="2", width="100%", align="start"),
            on_submit=NotifyState.add_channel, reset_on_submit=False, width="100%"),
    )


def _team_box(ev) -> rx.Component:
    return rx.el.label(
        rx.hstack(rx.checkbox(name="ev:" + ev["key"].to(str), default_checked=ev["on"].to(bool),
                              data_testid="team-event-" + ev["key"].to(str)),
                  rx.text(ev["label"].to(str), size="2"), spacing="2", align="center"))


def _team_events(row) -> rx.Component:
    """What a project channel hears; its project's owner ticks and saves."""
    return rx.form(rx.vstack(
        rx.text(tr("notify.ui.team_hears"), size="2", weight="medium"),
        rx.el.input(type="hidden", name="channel_id", value=row["id"].to(str), read_only=True),
        rx.flex(rx.foreach(row["event_boxes"].to(list[dict]), _team_box), gap="2",
                wrap="wrap", direction="column"),
        rx.button(tr("notify.ui.save"), type="submit", size="2", variant="soft",
                  data_testid="team-events-save"),
        spacing="2", width="100%", align="start"),
        on_submit=NotifyState.save_team_events, reset_on_submit=False, width="100%",
        data_testid="team-events")


def _channel(row) -> rx.Component:
    cid = row["id"].to(int)
    return rx.card(rx.vstack(
        rx.hstack(
            rx.badge(row["kind_label"].to(str)),
            rx.text(row["name"].to(str), weight="bold", overflow_wrap="anywhere"),
            rx.cond(row["project"].to(str) != "", rx.badge(row["project"].to(str),
                                                          color_scheme="gray")),
            rx.cond(row["paused"].to(bool), rx.badge(tr("notify.ui.paused"), color_scheme="red",
                                                     data_testid="channel-paused")),
            spacing="2", align="center", wrap="wrap"),
        rx.text(row["hint"].to(str), size="1", color_scheme="gray", font_family="monospace"),
        rx.cond(row["last_error"].to(str) != "", rx.text(
            tr("notify.ui.last_error"), ": ", row["last_error"].to(str), size="1",
            color_scheme="red")),
        rx.cond(row["owner_type"].to(str) == "project", _team_events(row)),
        rx.hstack(
            rx.button(tr("notify.ui.send_test"), size="2", variant="soft",
                      loading=NotifyState.testing_id == cid,
                      on_click=NotifyState.test_channel(cid), data_testid="channel-test"),
            rx.cond(row["paused"].to(bool), rx.button(
                tr("notify.ui.resume"), size="2", on_click=NotifyState.resume_channel(cid),
                data_testid="channel-resume")),
            rx.button(tr("notify.ui.remove"), size="2", variant="soft", color_scheme="red",
                      on_click=NotifyState.remove_channel(cid), data_testid="channel-remove"),
            spacing="2", wrap="wrap"),
        spacing="2", width="100%"), width="100%", data_testid="channel")


def channel_list() -> rx.Component:
    return rx.vstack(
        rx.cond(NotifyState.channel_rows.length() == 0,
                rx.text(tr("notify.ui.no_channels"), color_scheme="gray", size="2")),
        rx.foreach(NotifyState.channel_rows, _channel), spacing="3", width="100%")


def _device(row) -> rx.Component:
    return rx.card(rx.hstack(
        rx.icon("bell-ring", size=20),
        rx.vstack(rx.text(row["device"].to(str), weight="bold"),
                  rx.text(row["user_agent"].to(str), size="1", color_scheme="gray",
                          word_break="break-all", line_clamp=2),
                  rx.hstack(rx.text(tr("notify.ui.since"), size="1", color_scheme="gray"),
                            when(row["created"].to(str)), spacing="1"),
                  spacing="1", min_width="0", flex="1"),
        rx.button(tr("notify.ui.remove"), size="2", variant="soft", color_scheme="red",
                  on_click=NotifyState.remove_device(row["id"].to(int)),
                  data_testid="device-remove"),
        spacing="3", align="start", width="100%"), width="100%", data_testid="push-device")


def _push_paused() -> rx.Component:
    return rx.cond(NotifyState.push_paused, rx.callout(
        rx.hstack(rx.text(tr("notify.ui.push_paused"), size="2"),
                  rx.button(tr("notify.ui.resume"), size="2", on_click=NotifyState.resume_push,
                            data_testid="push-resume"),
                  spacing="3", align="center", wrap="wrap"),
        icon="triangle-alert", color_scheme="red", width="100%", data_testid="push-paused"))


def devices() -> rx.Component:
    return rx.vstack(
        _push_paused(),
        _section("notify.ui.this_device",
                 rx.text(tr("notify.ui.enable_hint"), size="2", color_scheme="gray"),
                 rx.button(rx.icon("bell-plus", size=16), tr("notify.ui.enable"), size="3",
                           on_click=NotifyState.enable_push, data_testid="push-enable")),
        rx.cond(NotifyState.devices.length() == 0,
                rx.text(tr("notify.ui.no_devices"), color_scheme="gray", size="2")),
        rx.foreach(NotifyState.devices, _device), spacing="3", width="100%", max_width="720px")


def _log_row(row) -> rx.Component:
    failed = (row["status"].to(str) == "failed") | (row["status"].to(str) == "paused")
    return rx.card(rx.vstack(
        rx.hstack(rx.badge(row["status_text"].to(str),
                           color_scheme=rx.cond(failed, "red", rx.cond(
                               row["status"].to(str) == "sent", "green", "gray"))),
                  rx.text(row["channel"].to(str), size="2", weight="medium"),
                  rx.text(row["channel_name"].to(str), size="2", color_scheme="gray"),
                  spacing="2", wrap="wrap", align="center"),
        rx.text(row["title"].to(str), size="2", overflow_wrap="anywhere"),
        rx.cond(row["reason"].to(str) != "", rx.text(row["reason"].to(str), size="1",
                                                     color_scheme="red")),
        when(row["created"].to(str)),
        spacing="1", width="100%"), width="100%", data_testid="delivery",
        data_status=row["status"].to(str))


def delivery_log() -> rx.Component:
    return rx.vstack(
        rx.cond(NotifyState.log.length() == 0,
                rx.text(tr("notify.ui.log_empty"), color_scheme="gray", size="2")),
        rx.foreach(NotifyState.log, _log_row), spacing="2", width="100%", max_width="720px")
