"""Projects pages: list, new, project, settings."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components import project_settings, projects as ui
from clawweb.components.forms import error_callout, field
from clawweb.components.i18n import tr
from clawweb.components.layout import empty_state, loading, page
from clawweb.components.project_agent import claude_section
from clawweb.components.remotes import private_clone_fields, remote_section
from clawweb.components.review import files_link, ship_settings
from clawweb.components.schedules import schedules_link
from clawweb.components.webhooks import automation_section
from clawweb.components.task_panel import project_tasks
from clawweb.state.projects import ProjectsState


def _back(href: rx.Var | str, label_key: str) -> rx.Component:
    return rx.link(rx.hstack(rx.icon("arrow-left", size=16), tr(label_key), align="center",
                             spacing="1"),
                   href=href, size="2", color_scheme="gray", data_testid="back-link")


def _not_found() -> rx.Component:
    return rx.box(
        empty_state("folder-x", "projects_ui.not_found_title", "projects_ui.not_found_hint",
                    rx.link(rx.button(tr("projects_ui.back"), variant="soft"),
                            href=routes.PROJECTS)),
        data_testid="project-not-found",
    )


def _when_loaded(body: rx.Component) -> rx.Component:
    return rx.cond(~ProjectsState.project_ready, loading(),
                   rx.cond(ProjectsState.not_found, _not_found(), body))


def projects_page() -> rx.Component:
    return page(
        rx.flex(
            rx.heading(tr("projects_ui.title"), size="6"),
            rx.cond(ProjectsState.projects.length() > 0, ui.new_project_button()),
            justify="between", align="center", width="100%", margin_bottom="16px",
        ),
        rx.cond(~ProjectsState.loaded, loading(), rx.cond(
            ProjectsState.projects.length() > 0,
            ui.project_list(),
            rx.box(empty_state("folder-plus", "projects_ui.empty_title",
                               "projects_ui.empty_hint", ui.new_project_button()),
                   data_testid="projects-empty"),
        )),
    )


def _source_choice() -> rx.Component:
    return rx.vstack(
        rx.text(tr("projects_ui.source"), size="2", weight="medium"),
        rx.radio_group.root(
            rx.vstack(
                rx.text(rx.flex(rx.radio_group.item(value="empty", data_testid="source-empty"),
                                tr("projects_ui.source_empty"), spacing="2"), as_="label",
                        size="2"),
                rx.text(rx.flex(rx.radio_group.item(value="clone", data_testid="source-clone"),
                                tr("projects_ui.source_clone"), spacing="2"), as_="label",
                        size="2"),
                spacing="2",
            ),
            name="source", value=ProjectsState.source, on_change=ProjectsState.set_source,
            disabled=ProjectsState.creating,
        ),
        rx.cond(ProjectsState.source == "clone", rx.vstack(
            field("projects_ui.source_url", "source_url", placeholder="https://…",
                  auto_capitalize="none", auto_complete="off", spell_check=False,
                  required=True),
            rx.text(tr("projects_ui.source_url_hint"), size="1", color_scheme="gray"),
            private_clone_fields(),
            spacing="1", width="100%")),
        spacing="2", width="100%",
    )


def _progress() -> rx.Component:
    return rx.cond(ProjectsState.creating, rx.callout(
        rx.cond(ProjectsState.source == "clone", tr("projects_ui.cloning"),
                tr("projects_ui.creating_empty")),
        icon="loader", width="100%", data_testid="create-progress"))


def project_new_page() -> rx.Component:
    return page(
        _back(routes.PROJECTS, "projects_ui.back"),
        rx.heading(tr("projects_ui.new_title"), size="6", margin_y="12px"),
        rx.card(rx.form(
            rx.vstack(
                error_callout(ProjectsState.create_error),
                field("projects_ui.name", "name", required=True, max_length=100,
                      auto_complete="off"),
                rx.vstack(
                    rx.text(tr("projects_ui.description"), as_="label", size="2",
                            weight="medium", html_for="description"),
                    rx.text_area(name="description", id="description", rows="3", width="100%",
                                 data_testid="input-description"),
                    spacing="1", width="100%"),
                _source_choice(),
                _progress(),
                rx.button(tr("projects_ui.create"), type="submit", size="3", width="100%",
                          loading=ProjectsState.creating, disabled=ProjectsState.creating,
                          data_testid="submit"),
                spacing="4", width="100%",
            ),
            on_submit=ProjectsState.create_project, reset_on_submit=False,
        ), width="100%", max_width="640px"),
    )


def project_page() -> rx.Component:
    settings_link = rx.link(
        rx.button(rx.icon("settings", size=16), tr("projects_ui.settings"), variant="soft"),
        href=routes.project_settings(ProjectsState.project["id"]),
        data_testid="settings-link")
    return page(
        _when_loaded(rx.vstack(
            _back(routes.PROJECTS, "projects_ui.back"),
            ui.project_header(rx.hstack(files_link(ProjectsState.project["id"]),
                                        schedules_link(ProjectsState.project["id"]),
                                        rx.cond(ProjectsState.is_owner, settings_link))),
            ui.commit_list(),
            rx.box(project_tasks(), width="100%"),
            spacing="4", width="100%",
        )),
    )


def project_settings_page() -> rx.Component:
    return page(
        _when_loaded(rx.vstack(
            _back(routes.project(ProjectsState.project["id"]), "projects_ui.back_project"),
            rx.heading(tr("projects_ui.settings_title"), size="6"),
            rx.text(ProjectsState.project["name"], color_scheme="gray",
                    style={"overflow_wrap": "anywhere"}),
            project_settings.general_settings(),
            project_settings.members_card(),
            rx.cond(ProjectsState.is_owner, remote_section()),
            ship_settings(),
            rx.cond(ProjectsState.is_owner, claude_section()),
            rx.cond(ProjectsState.is_owner, automation_section(ProjectsState.project["id"])),
            rx.cond(ProjectsState.is_owner, project_settings.danger_zone()),
            spacing="4", width="100%",
        )),
    )
