"""Pieces of the projects pages: cards, table, header, commits (settings: ``project_settings``)."""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.i18n import ago, tr
from clawweb.state.projects import ProjectsState

PHONE = ["flex", "flex", "none"]
DESKTOP = ["none", "none", "block"]
WRAP = {"overflow_wrap": "anywhere", "word_break": "break-word"}


def role_badge(role: rx.Var) -> rx.Component:
    # No role yet (the page is still loading) is no badge, not "Viewer".
    return rx.match(
        role,
        ("owner", rx.badge(tr("projects_ui.role_owner"), color_scheme="grass")),
        ("editor", rx.badge(tr("projects_ui.role_editor"), color_scheme="blue")),
        ("viewer", rx.badge(tr("projects_ui.role_viewer"), color_scheme="gray")),
        rx.fragment(),
    )


def project_role_badge(p: rx.Var) -> rx.Component:
    """The caller's role on a project; an admin who is no member is shown as admin."""
    return rx.cond(p["as_admin"] == "1",
                   rx.badge(tr("projects_ui.role_admin"), color_scheme="purple",
                            data_testid="role-admin"),
                   role_badge(p["role"]))


def branch_badge(branch: rx.Var, **props) -> rx.Component:
    return rx.badge(rx.icon("git-branch", size=12), branch, variant="soft", color_scheme="gray",
                    style=WRAP, max_width="100%", **props)


def new_project_button() -> rx.Component:
    return rx.link(rx.button(rx.icon("plus", size=16), tr("projects_ui.new"), size="3"),
                   href=routes.PROJECT_NEW, data_testid="new-project")


# -- list ---------------------------------------------------------------------

def _card(p: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(rx.text(p["name"], weight="bold", size="4", style=WRAP),
                          rx.spacer(), project_role_badge(p), width="100%", align="start"),
                rx.cond(p["description"] != "",
                        rx.text(p["description"], size="2", color_scheme="gray", style=WRAP)),
                rx.hstack(branch_badge(p["default_branch"]), rx.spacer(),
                          rx.text(p["created"], size="1", color_scheme="gray"),
                          width="100%", align="center"),
                spacing="2", width="100%",
            ),
            width="100%",
        ),
        href=routes.project(p["id"]), underline="none", color_scheme="gray",
        high_contrast=True, width="100%", data_testid="project-card",
    )


def _row(p: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(p["name"], href=routes.project(p["id"]), weight="medium", style=WRAP)),
        rx.table.cell(rx.text(p["description"], color_scheme="gray", size="2",
                              style={**WRAP, "display": "-webkit-box",
                                     "-webkit-line-clamp": "2",
                                     "-webkit-box-orient": "vertical",
                                     "overflow": "hidden"})),
        rx.table.cell(branch_badge(p["default_branch"])),
        rx.table.cell(project_role_badge(p)),
        rx.table.cell(rx.text(p["created"], size="2", white_space="nowrap")),
        data_testid="project-row",
    )


def project_list() -> rx.Component:
    headers = ("col_name", "col_description", "col_branch", "col_role", "col_created")
    return rx.box(
        rx.vstack(rx.foreach(ProjectsState.projects, _card), display=PHONE, spacing="3",
                  width="100%"),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(
                    *[rx.table.column_header_cell(tr(f"projects_ui.{h}")) for h in headers])),
                rx.table.body(rx.foreach(ProjectsState.projects, _row)),
                variant="surface", width="100%",
            ),
            display=DESKTOP, width="100%",
        ),
        width="100%",
    )


# -- project page ---------------------------------------------------------------

def project_header(*actions: rx.Component) -> rx.Component:
    p = ProjectsState.project
    return rx.vstack(
        rx.flex(
            rx.heading(p["name"], size="6", style=WRAP, data_testid="project-name"),
            rx.hstack(*actions, spacing="2"),
            justify="between", align="center", spacing="3", width="100%", wrap="wrap",
        ),
        rx.cond(p["description"] != "",
                rx.text(p["description"], color_scheme="gray", style=WRAP,
                        white_space="pre-wrap")),
        rx.hstack(branch_badge(p["default_branch"], data_testid="project-branch"),
                  project_role_badge(p), wrap="wrap"),
        spacing="2", width="100%",
    )


def _commit(c: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.code(c["short"], variant="ghost", size="2", flex_shrink="0"),
        rx.vstack(
            rx.text(c["subject"], size="2", weight="medium", style=WRAP),
            rx.text(c["author"], " · ",
                    ago(c["date"], title=c["date"]),
                    size="1", color_scheme="gray", style=WRAP),
            spacing="0", min_width="0", flex="1",
        ),
        align="start", spacing="3", width="100%", padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}", data_testid="commit",
    )


def commit_list() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(rx.icon("git-commit-horizontal", size=18),
                      rx.heading(tr("projects_ui.commits"), size="3"),
                      rx.text(tr("projects_ui.commits_on"), size="2", color_scheme="gray"),
                      branch_badge(ProjectsState.project["default_branch"]),
                      align="center", wrap="wrap"),
            rx.cond(ProjectsState.commits.length() > 0,
                    rx.vstack(rx.foreach(ProjectsState.commits, _commit), spacing="0",
                              width="100%"),
                    rx.text(tr("projects_ui.no_commits"), color_scheme="gray", size="2")),
            spacing="2", width="100%",
        ),
        width="100%",
    )
