"""People and how they sign in: users, the first-run claim, sessions, invites,
API tokens, stored agent credentials and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint, func
from sqlalchemy.types import JSON
from sqlmodel import Field, SQLModel

from clawweb.models.common import Role, utcnow


class User(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    display_name: str = ""
    password_hash: str = ""
    role: Role = Role.member
    disabled: bool = False
    must_change_password: bool = False
    language: str = ""  # "" = follow the browser
    # Author email of the commits clawweb makes for this user ("" = a placeholder).
    email: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# "Alice" and "alice" are one name: the services check, this index decides (two
# admins creating them at once both pass the check on PostgreSQL).
Index("uq_user_username_lower", func.lower(User.username), unique=True)



class SetupClaim(SQLModel, table=True):
    """The first run, done: at most one row (id 1), inserted with the first admin.

    Two setup pages submitted at once both see no user; the second insert of
    row 1 fails, so only one of them makes an admin.
    """

    __tablename__ = "setup_claim"
    __table_args__ = (CheckConstraint("id = 1", name="ck_setup_claim_single_row"),)
    id: int = Field(default=1, primary_key=True)
    user_id: Optional[int] = Field(default=None, foreign_key="user.id")
    claimed_at: datetime = Field(default_factory=utcnow)



class AuthSession(SQLModel, table=True):
    """A signed-in device. Only the SHA-256 of the token is stored."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    user_agent: str = ""
    ip: str = ""
    # The catalog language this device's browser asked for at sign-in ("" unknown).
    language: str = Field(default="", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: Optional[datetime] = None



class Invite(SQLModel, table=True):
    """A one-time link that lets a new user choose their own password."""

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: Optional[datetime] = None



class ApiToken(SQLModel, table=True):
    """A personal API token. Only the SHA-256 of the token is stored; ``prefix``
    (its first characters) lets a person tell their tokens apart.

    ``scopes`` is a subset of ``services.api_tokens.SCOPES``. A token bound to
    a project (``project_id``) reaches nothing else, and goes with the project.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    scopes: list = Field(default_factory=list, sa_column=Column(JSON))
    project_id: Optional[int] = Field(default=None, foreign_key="project.id",
                                      ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: Optional[datetime] = None
    last_used_at: Optional[datetime] = None
    last_used_ip: str = ""
    revoked_at: Optional[datetime] = None
    revoked_by: Optional[int] = Field(default=None, foreign_key="user.id")



class Credential(SQLModel, table=True):
    """An Anthropic API key or Claude Code OAuth token, encrypted (AES-GCM)."""

    __table_args__ = (UniqueConstraint("owner_type", "owner_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    owner_type: str = Field(max_length=16)  # "user" | "project"
    owner_id: int
    kind: str = "api_key"  # api_key | oauth_token
    ciphertext: str
    hint: str = ""  # last 4 characters, for the masked display
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)



class AuditEvent(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: Optional[int] = Field(default=None, index=True)
    actor_name: str = ""
    action: str = Field(index=True, max_length=64)  # e.g. "user.create"
    object_type: str = Field(default="", index=True, max_length=32)
    object_id: str = ""
    before: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    after: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    ip: str = ""
    detail: str = ""
    # The API token of the call that made the change (None: the UI, a worker).
    api_token_id: Optional[int] = Field(default=None, index=True)
