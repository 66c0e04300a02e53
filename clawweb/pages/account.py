"""account pages (UI helper fills these in)."""

import reflex as rx

from clawweb.components.layout import page


def account_page() -> rx.Component:
    return page(title_key="nav.account")


def devices_page() -> rx.Component:
    return page(title_key="nav.account")
