"""The app shell: a bottom tab bar on phones, a sidebar on desktops."""

from __future__ import annotations

import reflex as rx
from reflex_components_moment import moment

from clawweb import routes
from clawweb.components.i18n import tr
from clawweb.components.approvals import pending_banner
from clawweb.components.notify import bell, bell_nav_item
from clawweb.state.approvals import ApprovalsState
from clawweb.state.auth import SignInState
from clawweb.state.base import AppState
from clawweb.state.notify_bell import NotifyBellState

HEARTBEAT_MS = 3000
# A request withdrawn when its task ended must leave every tab within 2 s; 1.5 s
# leaves room for the round trip, and a faster poll costs every open tab more
# events than the streaming-load budget allows (tests/e2e/test_streaming_load_e2e.py).
APPROVALS_POLL_MS = 1500
BELL_WATCHDOG_MS = 10000

NAV = [
    ("nav.projects", routes.PROJECTS, "folder-git-2", False),
    ("nav.tasks", routes.TASKS, "list-checks", False),
    ("nav.admin", routes.ADMIN_USERS, "shield", True),
    ("nav.account", routes.ACCOUNT, "user-round", False),
]


def _nav_item(label_key: str, href: str, icon: str, vertical: bool) -> rx.Component:
    # zh-z: the current page's section is marked (aria-current and a tint), on the
    # phone's tab bar and the sidebar alike.
    section = "/" + href.strip("/").split("/")[0]
    path = AppState.router.page.path
    here = (path == section) | path.startswith(section + "/")
    return rx.link(
        rx.flex(
            rx.icon(icon, size=20),
            rx.text(tr(label_key), size="1" if vertical else "2"),
            direction="column" if vertical else "row",
            align="center", gap="1" if vertical else "2",
        ),
        href=href, underline="none", color_scheme="gray", high_contrast=True,
        padding_x="var(--space-3)", padding_y="var(--space-2)", border_radius="8px",
        flex="1" if vertical else None,
        text_align="center",
        data_testid=f"nav-{href.strip('/').replace('/', '-')}",
        aria_current=rx.cond(here, "page", "false"),
        background=rx.cond(here, rx.color("accent", 4), "transparent"),
        _hover={"background": rx.color("gray", 3)},
    )


def _nav_items(vertical: bool) -> list[rx.Component]:
    items = []
    for key, href, icon, admin in NAV:
        item = _nav_item(key, href, icon, vertical)
        items.append(rx.cond(AppState.is_admin, item) if admin else item)
    return items


def language_menu() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=tr("nav.language"), variant="ghost", data_testid="lang-switch"),
        rx.select.content(
            rx.select.item("English", value="en", data_testid="lang-en"),
            rx.select.item("中文", value="zh", data_testid="lang-zh"),
        ),
        value=AppState.lang, on_change=AppState.choose_language, size="1",
    )


def theme_button() -> rx.Component:
    return rx.color_mode.button(size="1", variant="ghost", aria_label=tr("nav.theme"))


def account_menu() -> rx.Component:
    """Who is signed in, with Account, Devices and Sign out (desktop top bar)."""
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(rx.button(
            rx.icon("circle-user-round", size=18),
            rx.text(AppState.display_name, max_width="160px", overflow="hidden",
                    text_overflow="ellipsis", white_space="nowrap"),
            variant="ghost", size="2", color_scheme="gray", high_contrast=True,
            aria_label=tr("account.menu"), data_testid="account-menu",
        )),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item(tr("account.tab_profile"), on_click=rx.redirect(routes.ACCOUNT)),
            rx.dropdown_menu.item(tr("account.tab_devices"),
                                  on_click=rx.redirect(routes.DEVICES)),
            rx.dropdown_menu.separator(),
            rx.dropdown_menu.item(tr("account.sign_out"), on_click=SignInState.sign_out,
                                  color_scheme="red", data_testid="menu-sign-out"),
        ),
    )


def link_tabs(tabs: list[tuple[str, str]], active: str) -> rx.Component:
    """A row of page links styled as tabs; ``tabs`` is [(label key, href)]."""
    def tab(key: str, href: str) -> rx.Component:
        on = href == active
        return rx.link(
            tr(key), href=href, underline="none", weight="medium", size="3",
            color_scheme=None if on else "gray", high_contrast=not on,
            padding_x="var(--space-3)", padding_y="var(--space-2)", white_space="nowrap",
            border_bottom=f"2px solid {rx.color('accent', 9) if on else 'transparent'}",
            data_testid=f"tab-{href.strip('/').replace('/', '-')}",
        )

    return rx.hstack(*[tab(k, h) for k, h in tabs], gap="1", width="100%",
                     margin_bottom="var(--space-4)", overflow_x="auto",
                     border_bottom=f"1px solid {rx.color('gray', 5)}")


def top_bar() -> rx.Component:
    return rx.hstack(
        rx.link(rx.hstack(rx.image(src="/icon-192.png", width="24px", height="24px",
                                   alt=""),
                          rx.heading("clawweb", size="4"), align="center"),
                href=routes.PROJECTS, underline="none", color_scheme="gray",
                high_contrast=True),
        rx.spacer(),
        bell(),
        language_menu(),
        theme_button(),
        rx.box(account_menu(), display=["none", "none", "block"]),
        align="center", width="100%", padding_x="var(--space-4)", padding_y="var(--space-2)",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        position="sticky", top="0", z_index="10", background=rx.color("gray", 1),
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        *_nav_items(vertical=False),
        rx.spacer(),
        rx.text(AppState.display_name, size="2", color_scheme="gray",
                padding_x="var(--space-3)"),
        width="220px", min_width="220px", padding="var(--space-3)", height="calc(100vh - 49px)",
        position="sticky", top="49px",
        border_right=f"1px solid {rx.color('gray', 5)}",
        display=["none", "none", "flex"],
    )


def bottom_bar() -> rx.Component:
    return rx.hstack(
        *_nav_items(vertical=True),
        bell_nav_item(),
        position="fixed", bottom="0", left="0", right="0", z_index="10",
        padding_x="var(--space-2)", padding_top="var(--space-1)",
        padding_bottom="calc(env(safe-area-inset-bottom) + 4px)",
        background=rx.color("gray", 1), border_top=f"1px solid {rx.color('gray', 5)}",
        display=["flex", "flex", "none"], justify="between",
        data_testid="bottom-nav",
    )


def page(*children: rx.Component, title_key: str = "") -> rx.Component:
    """A signed-in page: top bar, navigation, content, and the session heartbeat."""
    return rx.box(
        top_bar(),
        rx.flex(
            sidebar(),
            rx.box(
                pending_banner(),
                rx.cond(title_key != "", rx.heading(tr(title_key) if title_key else "",
                                                   size="6", margin_bottom="var(--space-4)")),
                *children,
                flex="1", min_width="0",
                padding=["var(--space-3)", "var(--space-4)", "var(--space-6)"],
                padding_bottom=["96px", "96px", "var(--space-6)"], max_width="1100px",
            ),
        ),
        bottom_bar(),
        moment(interval=HEARTBEAT_MS, on_change=AppState.heartbeat, display="none"),
        # Pending approvals: one small query per tab a second, so a request that
        # ended with its task leaves the banner everywhere within 2 s.
        moment(interval=APPROVALS_POLL_MS, on_change=ApprovalsState.poll_pending,
               display="none"),
        # Restarts the bell's live count if its loop stopped while the socket was away.
        moment(interval=BELL_WATCHDOG_MS, on_change=NotifyBellState.ensure_watch, display="none"),
        width="100%", min_height="100vh", overflow_x="hidden",
    )


def bare(*children: rx.Component) -> rx.Component:
    """Sign-in, setup and invite pages: centred card, language switch."""
    return rx.box(
        rx.hstack(rx.spacer(), language_menu(), theme_button(),
                  padding="var(--space-3)"),
        rx.center(rx.card(*children, width="100%", max_width="420px", size="3"),
                  padding_x="var(--space-4)", padding_top=["var(--space-2)", "10vh"]),
        width="100%", min_height="100vh", overflow_x="hidden",
    )


def empty_state(icon: str, title_key: str, hint_key: str, *actions: rx.Component) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=40, color=rx.color("gray", 9)),
            rx.heading(tr(title_key), size="4"),
            rx.text(tr(hint_key), color_scheme="gray", text_align="center"),
            *actions,
            align="center", gap="3", max_width="360px",
        ),
        padding_y="var(--space-9)",
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), padding_y="var(--space-9)")
