"""projects pages (UI helper fills these in)."""

import reflex as rx

from clawweb.components.layout import page


def projects_page() -> rx.Component:
    return page(title_key="nav.projects")


def project_new_page() -> rx.Component:
    return page(title_key="nav.projects")


def project_page() -> rx.Component:
    return page(title_key="nav.projects")


def project_settings_page() -> rx.Component:
    return page(title_key="nav.projects")
