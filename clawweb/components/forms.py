"""Form pieces shared by pages: labelled inputs sized for thumbs."""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr


def field(label_key: str, name: str, type_: str = "text", **props) -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), as_="label", size="2", weight="medium", html_for=name),
        rx.input(name=name, id=name, type=type_, size="3", width="100%",
                 data_testid=f"input-{name}", **props),
        width="100%", spacing="1",
    )


def error_callout(message: rx.Var) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle-alert", color_scheme="red", width="100%",
                   role="alert", data_testid="form-error"),
    )


def submit(label_key: str, busy: rx.Var | bool = False, **props) -> rx.Component:
    return rx.button(tr(label_key), type="submit", size="3", width="100%",
                     loading=busy, data_testid="submit", **props)
