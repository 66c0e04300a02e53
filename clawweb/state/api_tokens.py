"""API tokens on the account page (one's own) and the admin page (everyone's).

The raw token is in the state only between its creation and the closing of the
dialog that shows it: it is never loaded again (only its hash is stored).
Who may revoke what is decided by ``api_tokens.revoke`` (one's own, or any for
an admin), the same rule the REST API would follow; ids from the browser are
only looked up in the lists this state loaded for the caller.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from clawweb.db import session_scope
from clawweb.models import ApiToken, Project, iso_utc, utcnow
from clawweb.services.accounts import api_tokens
from clawweb.services.projects import service as projects
from clawweb.services.errors import InvalidInput, NotFound, PermissionDenied
from clawweb.state.access import admin_only, signed_in
from clawweb.state.base import AppState

NEVER = "never"  # the expiry choice for a token that does not expire
ANY_PROJECT = "all"
# For the form (components reach services only through state).
SCOPES = api_tokens.SCOPES
EXPIRY_DAYS = api_tokens.EXPIRY_DAYS


@dataclasses.dataclass
class TokenRow:
    id: int = 0
    name: str = ""
    prefix: str = ""
    scopes: str = ""
    project: str = ""
    owner: str = ""
    created: str = ""
    expires: str = ""
    expired: bool = False
    last_used: str = ""
    last_ip: str = ""


def _row(token: ApiToken, project_names: dict[int, str], owner: str = "") -> TokenRow:
    expired = token.expires_at is not None and token.expires_at <= utcnow()
    return TokenRow(id=token.id, name=token.name, prefix=token.prefix,
                    scopes=" · ".join(token.scopes or []),
                    project=project_names.get(token.project_id, "") if token.project_id else "",
                    owner=owner, created=iso_utc(token.created_at),
                    expires=iso_utc(token.expires_at), expired=expired,
                    last_used=iso_utc(token.last_used_at), last_ip=token.last_used_ip)


def _project_names(s, tokens: list[ApiToken]) -> dict[int, str]:
    ids = {t.project_id for t in tokens if t.project_id}
    return {pid: s.get(Project, pid).name for pid in ids if s.get(Project, pid) is not None}


def form_values(form: dict) -> dict:
    """The create form's fields as ``api_tokens.create_token`` arguments.

    Raises:
        InvalidInput: an expiry or project that is not a number.
    """
    scopes = [scope for scope in api_tokens.SCOPES if form.get(f"scope_{scope}")]
    expiry = str(form.get("expiry", NEVER))
    project = str(form.get("project", ANY_PROJECT))
    try:
        return {"name": str(form.get("name", ""))[:api_tokens.MAX_NAME + 1],
                "scopes": scopes,
                "expires_days": None if expiry == NEVER else int(expiry),
                "project_id": None if project == ANY_PROJECT else int(project)}
    except ValueError:
        raise InvalidInput("api_tokens.expiry_invalid") from None


class ApiTokensState(AppState):
    tokens: list[TokenRow] = []
    tokens_loaded: bool = False
    # (id, name) of the projects a new token may be bound to.
    project_choices: list[list[str]] = []
    create_open: bool = False
    create_error: str = ""
    # Shown once, right after creation; cleared when its dialog closes.
    new_token: str = ""
    revoke_token_id: int = 0
    revoke_token_name: str = ""

    all_tokens: list[TokenRow] = []
    all_tokens_loaded: bool = False

    def _reload(self) -> None:
        user = self.require_user()
        with session_scope() as s:
            rows = api_tokens.list_own(session=s, user=user)
            names = _project_names(s, rows)
            self.tokens = [_row(t, names) for t in rows]
            self.project_choices = [[str(p.id), p.name]
                                    for p in projects.list_projects(session=s, user=user)]
        self.tokens_loaded = True

    def _reload_all(self) -> None:
        actor = self.require_user()
        with session_scope() as s:
            pairs = api_tokens.list_all(session=s, actor=actor)
            names = _project_names(s, [t for t, _ in pairs])
            self.all_tokens = [_row(t, names, owner) for t, owner in pairs]
        self.all_tokens_loaded = True

    @rx.event
    @signed_in
    def load_tokens(self):
        self.revoke_token_id, self.new_token, self.create_open = 0, "", False
        self._reload()

    @rx.event
    @admin_only
    def load_all_tokens(self):
        self.revoke_token_id = 0
        self._reload_all()

    @rx.event
    @signed_in
    def set_create_open(self, open_: bool):
        self.create_open, self.create_error = bool(open_), ""

    @rx.event
    @signed_in
    def create_token(self, form: dict):
        user = self.require_user()
        try:
            values = form_values(form)
            with session_scope() as s:
                _row_, raw = api_tokens.create_token(session=s, user=user, ip=self.client_ip,
                                                     **values)
        except (InvalidInput, PermissionDenied, NotFound) as exc:
            # Form mistakes stay on the form, where the person is looking.
            self.create_error = self.tr(exc.key, **exc.params)
            return None
        self.create_open, self.create_error, self.new_token = False, "", raw
        self._reload()
        return None

    @rx.event
    @signed_in
    def set_new_token_open(self, open_: bool):
        if not open_:
            self.new_token = ""

    @rx.event
    @signed_in
    def ask_revoke_token(self, token_id: int):
        # Only a token of a list loaded for this caller: never a name of someone else's.
        rows = self.tokens + (self.all_tokens if self.is_admin else [])
        row = next((t for t in rows if t.id == int(token_id)), None)
        if row is not None:
            self.revoke_token_id, self.revoke_token_name = row.id, row.name

    @rx.event
    @signed_in
    def set_revoke_token_open(self, open_: bool):
        if not open_:
            self.revoke_token_id = 0

    @rx.event
    @signed_in
    def confirm_revoke_token(self):
        token_id, self.revoke_token_id = self.revoke_token_id, 0
        if not token_id:
            return None
        user = self.require_user()
        with session_scope() as s:
            api_tokens.revoke(session=s, actor=user, token_id=token_id, ip=self.client_ip)
        self._reload()
        if self.all_tokens_loaded:
            self._reload_all()
        return rx.toast.success(self.tr("ui_api_tokens.revoked"))
