"""admin pages (UI helper fills these in)."""

import reflex as rx

from clawweb.components.layout import page


def users_page() -> rx.Component:
    return page(title_key="nav.admin")


def audit_page() -> rx.Component:
    return page(title_key="nav.admin")
