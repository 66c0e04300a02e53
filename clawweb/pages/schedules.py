"""The schedules page of a project."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components import schedules as ui
from clawweb.components.i18n import tr
from clawweb.components.layout import empty_state, loading, page
from clawweb.state.schedules import SchedulesState as S


def schedules_page() -> rx.Component:
    back = rx.link(rx.hstack(rx.icon("arrow-left", size=16), tr("projects_ui.back_project"),
                             align="center", spacing="1"),
                   href=routes.project(S.sched_project_id),
                   size="2", color_scheme="gray", data_testid="back-link")
    body = rx.vstack(
        back,
        rx.heading(tr("ui_schedules.title"), size="6"),
        rx.text(S.project_name, color_scheme="gray", style={"overflow_wrap": "anywhere"}),
        rx.cond(S.can_edit, ui.schedule_form()),
        ui.schedule_list(),
        spacing="4", width="100%")
    return page(rx.cond(~S.sched_loaded, loading(), rx.cond(
        S.sched_not_found,
        empty_state("calendar-x", "projects_ui.not_found_title", "projects_ui.not_found_hint"),
        body)))
