"""The review page of a task: its change in pages, its commits, and the ship actions.

Handlers stay thin: resolve the caller, run the review services (which check
the caller's role on every call and read git objects) in a thread, and keep
plain dicts in state. The page shows one page of files at a time
(``review_view.paginate``), each file one window of its patch, so a state
update stays small whatever the size of the change. Merge and discard act on
the head this page was loaded with (``_head``), never on a tip the caller
has not seen.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.live import review_view
from clawweb.services.errors import ServiceError
from clawweb.services.review import actions, merge, service
from clawweb.state.access import signed_in
from clawweb.state.base import AppState, new_key, route_id


def _load(user, task_id: int, page: int) -> dict[str, Any]:
    with session_scope() as s:
        target = service.load_target(session=s, user=user, task_id=task_id)
        changes, cut = service.changed_files(target)
        pages = review_view.paginate(changes)
        page = max(0, min(int(page), len(pages) - 1))
        return {"header": review_view.header(target, changes, cut),
                "commits": review_view.commit_rows(service.branch_commits(target)),
                "cards": review_view.page_cards(target, changes, pages[page]),
                "page": page, "pages": len(pages), "head": target.head or ""}


def _window(user, task_id: int, head: str, index: int, start: int) -> dict | None:
    with session_scope() as s:
        target = service.load_target(session=s, user=user, task_id=task_id)
        if target.head != head:
            return None  # the branch moved: the caller reloads the whole page
        changes, _ = service.changed_files(target)
        if not 0 <= index < len(changes):
            return None
        return review_view.card(target, changes[index], index, max(0, int(start)))


def _merge(user, task_id: int, strategy: str, head: str, ip: str):
    with session_scope() as s:
        return actions.merge_task(session=s, user=user, task_id=task_id, strategy=strategy,
                                  expected_head=head, ip=ip)


def _discard(user, task_id: int, head: str, ip: str) -> None:
    with session_scope() as s:
        actions.discard_task(session=s, user=user, task_id=task_id, expected_head=head, ip=ip)


def _resolve(user, task_id: int, key: str, lang: str, ip: str) -> int:
    with session_scope() as s:
        return actions.resolve_conflicts(session=s, user=user, task_id=task_id,
                                         idempotency_key=key, lang=lang, ip=ip).id


class ReviewState(AppState):
    review: dict[str, Any] = {}
    review_error: str = ""
    review_loaded: bool = False
    commits: list[dict[str, str]] = []
    cards: list[dict[str, Any]] = []
    page: int = 0
    pages: int = 0
    strategy: str = "merge"
    conflict_files: list[str] = []
    resolve_key: str = ""
    acting: bool = False
    _task_id: int = 0
    _head: str = ""

    def _show(self, data: dict[str, Any]) -> None:
        self.review, self.commits, self.cards = data["header"], data["commits"], data["cards"]
        self.page, self.pages, self._head = data["page"], data["pages"], data["head"]
        self.review_loaded, self.review_error = True, ""

    async def _reload(self, user, page: int = 0) -> None:
        try:
            data = await asyncio.to_thread(_load, user, self._task_id, page)
        except ServiceError as exc:
            self.review, self.cards, self.commits = {}, [], []
            self.review_loaded, self.review_error = True, self.tr(exc.key, **exc.params)
            return
        self._show(data)

    @rx.event
    @signed_in
    async def load_review(self):
        """/tasks/<id>/review: the change, its commits and what the caller may do."""
        user = await asyncio.to_thread(self.require_user)  # a DB read: off the loop
        self._task_id, self._head = route_id(self, "task_id"), ""
        self.review, self.cards, self.commits, self.conflict_files = {}, [], [], []
        self.review_loaded, self.resolve_key = False, new_key()
        if not self._task_id:
            self.review_loaded, self.review_error = True, self.tr("errors.not_found")
            return
        await self._reload(user)
        self.strategy = self.review.get("strategy", "merge") or "merge"

    @rx.event
    @signed_in
    async def show_page(self, page: int):
        """Another page of files."""
        user = await asyncio.to_thread(self.require_user)  # a DB read: off the loop
        if self._task_id:
            await self._reload(user, int(page))

    @rx.event
    @signed_in
    async def file_window(self, index: int, start: int):
        """Earlier or later lines of one file's patch."""
        user = await asyncio.to_thread(self.require_user)  # a DB read: off the loop
        if not self._task_id:
            return None
        found = await asyncio.to_thread(_window, user, self._task_id, self._head, int(index),
                                        int(start))
        if found is None:
            await self._reload(user, self.page)
            return rx.toast.info(self.tr("review_ui.reloaded"))
        self.cards = [found if c["index"] == found["index"] else c for c in self.cards]
        return None

    @rx.event
    @signed_in
    def set_strategy(self, value: str | list[str]):
        """The merge's strategy: overrides the project default for this page."""
        self.require_user()
        if value in merge.STRATEGIES:
            self.strategy = value

    @rx.event
    @signed_in
    async def merge_task(self):
        """Merge the reviewed head into the default branch (the services check the right)."""
        user = await asyncio.to_thread(self.require_user)  # a DB read: off the loop
        if not self._task_id or self.acting:
            return None
        self.acting, self.conflict_files = True, []
        try:
            result = await asyncio.to_thread(_merge, user, self._task_id, self.strategy,
                                             self._head, self.client_ip)
        except merge.MergeConflict as exc:
            self.conflict_files = exc.files[:actions.MAX_CONFLICT_FILES]
            return rx.toast.warning(self.tr(exc.key, **exc.params))
        finally:
            self.acting = False
        await self._reload(user, self.page)
        return rx.toast.success(self.tr("review_ui.merged", sha=result.sha[:10]))

    @rx.event
    @signed_in
    async def discard_task(self):
        """Delete the task's branch."""
        user = await asyncio.to_thread(self.require_user)  # a DB read: off the loop
        if not self._task_id or self.acting:
            return None
        self.acting = True
        try:
            await asyncio.to_thread(_discard, user, self._task_id, self._head, self.client_ip)
        finally:
            self.acting = False
        await self._reload(user)
        return rx.toast.success(self.tr("review_ui.discarded"))

    @rx.event
    @signed_in
    async def resolve_conflicts(self, form: dict):
        """Ask the agent to rebase and resolve; the rendered key makes a double tap one task."""
        user = await asyncio.to_thread(self.require_user)  # a DB read: off the loop
        if not self._task_id:
            return None
        key = str(form.get("idempotency_key", ""))[:64]
        new_id = await asyncio.to_thread(_resolve, user, self._task_id, key, self.lang,
                                         self.client_ip)
        self.resolve_key = new_key()
        return [rx.toast.success(self.tr("ui_tasks.submitted", id=new_id)),
                rx.redirect(routes.task(new_id))]
