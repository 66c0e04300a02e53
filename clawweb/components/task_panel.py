"""The tasks section of a project page: command box and the project's task list.

(The tasks UI engineer fills this in; the projects page only calls ``project_tasks()``.)
"""

import reflex as rx


def project_tasks() -> rx.Component:
    """Rendered inside the project page; reads the project id from the route."""
    return rx.fragment()
