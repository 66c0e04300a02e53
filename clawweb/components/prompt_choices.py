"""Model and permission mode in the prompt box, limited to what the project allows.

Two native ``<select>`` elements (``model``, ``permission_mode``) inside the
submitting form: on a phone they open the system picker. Only the choices
``PromptChoicesState`` loaded are offered; the service checks them again.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.prompt_choices import PromptChoicesState as C

MODES = ("default", "acceptEdits", "plan", "bypassPermissions")


def mode_label(mode) -> rx.Component:
    """A permission mode's label (the settings page's words)."""
    return rx.match(mode, *[(m, tr(f"ui_agents.mode.{m}")) for m in MODES], mode)


def _select(name: str, label_key: str, prefix: str, options, value, label) -> rx.Component:
    sid = f"{prefix}-{name}"
    return rx.vstack(
        rx.text(tr(label_key), as_="label", size="2", weight="medium", html_for=sid),
        rx.el.select(
            rx.foreach(options, lambda o: rx.el.option(label(o), value=o)),
            id=sid, name=name, default_value=value, key=value + options.join(","),
            data_testid=sid,
            style={"font_size": "16px", "padding": "6px 8px", "border_radius": "6px",
                   "max_width": "100%", "min_height": "40px",
                   "border": f"1px solid {rx.color('gray', 7)}",
                   "background": rx.color("gray", 1), "color": rx.color("gray", 12)}),
        spacing="1", min_width="0")


def model_label(model) -> rx.Component:
    """A model's name, or the words for the project's default ("")."""
    return rx.cond(model != "", model, tr("ui_agents.model_default"))


def prompt_choices(prefix: str, model_value=None, mode_value=None) -> rx.Component:
    """The two selects (hidden when the project allows only one of each).

    ``model_value`` / ``mode_value``: what they start on (default: the project's).
    """
    model = _select("model", "ui_agents.model", prefix, C.choice_models,
                    C.choice_model if model_value is None else model_value, model_label)
    mode = _select("permission_mode", "ui_agents.permission_mode", prefix, C.choice_modes,
                   C.choice_mode if mode_value is None else mode_value, mode_label)
    return rx.flex(
        rx.cond(C.choice_modes.length() > 1, mode),
        rx.cond(C.choice_models.length() > 1, model),
        spacing="3", wrap="wrap", width="100%", data_testid=f"{prefix}-choices")
