"""Projects, their members, agent settings and remote."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Text, UniqueConstraint
from sqlalchemy.types import JSON
from sqlmodel import Field, SQLModel

from clawweb.models.common import ProjectRole, utcnow


class Project(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(index=True, max_length=100)
    slug: str = Field(index=True, unique=True, max_length=120)
    description: str = ""
    default_branch: str = "main"
    source_url: str = ""  # where it was cloned from (credentials stripped)
    max_concurrent_tasks: int = 2
    task_timeout_seconds: int = 1800
    memory_mb: int = 1024
    cpus: float = 1.0
    pids_limit: int = 256
    # Shipping a task's work: how "Merge" merges by default (ff | merge | squash)
    # and who may merge, discard or download it (owner | editor).
    merge_strategy: str = Field(default="merge", max_length=16)
    ship_role: str = Field(default="editor", max_length=16)
    created_by: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)



class ProjectMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "user_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: ProjectRole = ProjectRole.viewer
    created_at: datetime = Field(default_factory=utcnow)



class AgentSettings(SQLModel, table=True):
    project_id: int = Field(foreign_key="project.id", primary_key=True)
    model: str = ""
    permission_mode: str = "default"
    allowed_tools: list = Field(default_factory=list, sa_column=Column(JSON))
    denied_tools: list = Field(default_factory=list, sa_column=Column(JSON))
    max_turns: int = 50
    budget_usd: float = 5.0
    system_prompt: str = Field(default="", sa_column=Column(Text))
    approval_timeout_seconds: int = 1800
    egress_allow_hosts: list = Field(default_factory=list, sa_column=Column(JSON))
    # In "ask" mode, let calls that only read run without a request (off: every call asks).
    allow_read_only: bool = False
    # Models a member may pick per prompt besides ``model`` (the default).
    allowed_models: list = Field(default_factory=list, sa_column=Column(JSON))
    # Let the CLI load the repository's .claude/settings.json and CLAUDE.md; its
    # allow rules still decide nothing in "ask" mode (worker.agents.claude_hooks).
    use_repo_settings: bool = True



class ProjectRemote(SQLModel, table=True):
    """Where a project's work is pushed and synced from, and how clawweb signs in.

    Secrets are ciphertext (``clawweb.services.crypto``) bound to the project;
    the URL never carries credentials. ``known_hosts`` holds the SSH host keys
    pinned on first use, in OpenSSH's format.
    """

    project_id: int = Field(foreign_key="project.id", primary_key=True)
    url: str = ""
    forge: str = ""  # "" = guess from the URL's host | github | gitlab | gitea
    forge_api_url: str = ""  # "" = derived from the URL (self-hosted forges)
    token_username: str = ""  # user name sent with the token over HTTPS ("" = forge default)
    token_ciphertext: str = Field(default="", sa_column=Column(Text))
    token_hint: str = ""
    ssh_key_ciphertext: str = Field(default="", sa_column=Column(Text))
    ssh_public_key: str = Field(default="", sa_column=Column(Text))
    known_hosts: str = Field(default="", sa_column=Column(Text))
    sync_before_task: bool = False
    last_sync_at: Optional[datetime] = None
    last_sync_result: str = ""  # a message key (remotes.sync_* or the error's)
    last_sync_params: dict = Field(default_factory=dict, sa_column=Column(JSON))
    # The default branch's commit on the remote as last seen (cloned, synced or pushed).
    default_pushed_sha: str = ""
    updated_at: datetime = Field(default_factory=utcnow)
