"""tasks pages (UI helper fills these in)."""

import reflex as rx

from clawweb.components.layout import page


def tasks_page() -> rx.Component:
    return page(title_key="nav.tasks")


def task_page() -> rx.Component:
    return page(title_key="nav.tasks")
