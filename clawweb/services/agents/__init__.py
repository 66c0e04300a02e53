"""Coding agents (Claude Code): ``settings`` (a project's model, permission mode,
rules, budget, egress hosts), ``tasks`` (submit a prompt, follow up, interrupt,
the conversation thread) and ``credentials`` (model API keys and tokens,
encrypted at rest). Approval requests and rules are the neighbouring
``services/approvals.py`` and ``services/approval_rules.py``."""
