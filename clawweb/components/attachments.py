"""The submit form's "Attach files" control, and the task page's list of attached files.

``rx.upload`` wraps a file input: on a phone it opens the photo library or the
camera as well as files. Chosen files upload at once (streamed, limits on the
server); the list shows each with its size and a remove button.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.attachments import UPLOAD_ID, AttachmentsState, TaskAttachmentsState


def _pending_row(f: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon("paperclip", size=14, flex_shrink="0"),
        rx.text(f["name"].to(str), size="2", overflow_wrap="anywhere", min_width="0",
                data_testid="attachment-name"),
        rx.text(f["label"].to(str), size="1", color_scheme="gray", white_space="nowrap",
                data_testid="attachment-size"),
        rx.spacer(),
        rx.icon_button(rx.icon("x", size=14), type="button", variant="ghost", size="2",
                       color_scheme="gray",
                       aria_label=tr("attachments.remove", name=f["name"].to(str)),
                       on_click=AttachmentsState.remove_attachment(f["id"].to(str)),
                       data_testid="attachment-remove"),
        width="100%", align="center", spacing="2", data_testid="attachment-row",
    )


def attach_control() -> rx.Component:
    """The button (a file input underneath), what is attached, and why a file was refused."""
    S = AttachmentsState
    return rx.vstack(
        rx.upload.root(
            rx.button(rx.icon("paperclip", size=16), tr("attachments.attach"), type="button",
                      variant="soft", size="3", data_testid="attach-button"),
            id=UPLOAD_ID, multiple=True, no_drag=True,
            on_drop=S.upload(rx.upload_files_chunk(upload_id=UPLOAD_ID)),
            border="none", padding="0", width="auto", data_testid="attach-files",
        ),
        rx.cond(S.uploading, rx.hstack(rx.spinner(size="1"),
                                       rx.text(tr("attachments.uploading"), size="1"),
                                       align="center", data_testid="attach-uploading")),
        rx.foreach(S.files, _pending_row),
        rx.text(S.limits_hint, size="1", color_scheme="gray"),
        rx.cond(S.attach_error != "", rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(S.attach_error, style={"overflow_wrap": "anywhere"}),
            color_scheme="red", role="alert", width="100%", data_testid="attach-error")),
        rx.el.input(type="hidden", name="attachment_ids", value=S.attachment_ids,
                    read_only=True),
        width="100%", spacing="1",
        on_mount=S.load_pending,
    )


def task_attachments() -> rx.Component:
    """The files that came with a task (loaded by the page's on_load; none: nothing)."""
    S = TaskAttachmentsState

    def row(f: rx.Var) -> rx.Component:
        return rx.hstack(
            rx.icon("paperclip", size=14, flex_shrink="0"),
            rx.code(f["path"].to(str), size="2", variant="ghost", overflow_wrap="anywhere",
                    data_testid="task-attachment-path"),
            rx.text(f["label"].to(str), size="1", color_scheme="gray", white_space="nowrap"),
            align="center", spacing="2", data_testid="task-attachment")

    return rx.cond(S.task_files.length() > 0, rx.vstack(
        rx.text(tr("attachments.title"), size="2", weight="medium"),
        rx.foreach(S.task_files, row),
        spacing="1", width="100%", data_testid="task-attachments"))
