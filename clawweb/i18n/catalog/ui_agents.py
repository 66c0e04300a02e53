"""UI text for Claude Code: model credentials, project agent settings, prompt submission."""

MESSAGES = {
    # Credential widget (account and project)
    "ui_agents.credential": ("Model credential", "模型凭据"),
    "ui_agents.credential_intro": (
        "Claude Code tasks you start use this Anthropic API key or Claude Code OAuth token "
        "(unless the project has its own). It is stored encrypted and never shown again.",
        "你启动的 Claude Code 任务会使用此 Anthropic API 密钥或 Claude Code OAuth 令牌"
        "（除非项目设置了自己的凭据）。它会加密保存，之后不再显示。"),
    "ui_agents.project_credential_intro": (
        "Every member's Claude Code tasks in this project use this credential instead of "
        "their own. It is stored encrypted and never shown again.",
        "此项目中所有成员的 Claude Code 任务都会使用此凭据，而不是各自的凭据。"
        "它会加密保存，之后不再显示。"),
    "ui_agents.kind": ("Type", "类型"),
    "ui_agents.secret": ("Key or token", "密钥或令牌"),
    "ui_agents.secret_replace": ("Replace with a new key or token", "用新的密钥或令牌替换"),
    "ui_agents.save_credential": ("Save credential", "保存凭据"),
    "ui_agents.credential_saved": ("Credential saved.", "凭据已保存。"),
    "ui_agents.credential_none": ("No credential stored.", "尚未保存凭据。"),
    "ui_agents.credential_stored": ("Stored", "已保存"),
    "ui_agents.updated": ("Updated", "更新于"),
    "ui_agents.test": ("Test", "测试"),
    "ui_agents.testing": ("Asking the model endpoint…", "正在询问模型接口…"),
    "ui_agents.delete_credential": ("Delete credential", "删除凭据"),
    "ui_agents.delete_credential_body": (
        "Tasks that need this credential will not start until a new one is stored.",
        "需要此凭据的任务在保存新凭据之前将无法启动。"),
    "ui_agents.credential_deleted": ("Credential deleted.", "凭据已删除。"),
    "ui_agents.nothing_to_test": ("Store a credential first, then test it.",
                                  "请先保存凭据，然后再测试。"),
    # Agent settings
    "ui_agents.section": ("Claude Code", "Claude Code"),
    "ui_agents.settings": ("Agent settings", "智能体设置"),
    "ui_agents.model": ("Model", "模型"),
    "ui_agents.model_default": ("Project default", "项目默认"),
    "ui_agents.allowed_models": ("Other models members may choose", "成员可选的其他模型"),
    "ui_agents.allowed_models_hint": (
        "One per line. The prompt box offers the model above and these; nothing else is accepted.",
        "每行一个。提示框提供上面的模型和这些模型；其他模型一律拒绝。"),
    "ui_agents.model_hint": ("Empty: the CLI's default model.", "留空：使用 CLI 的默认模型。"),
    "ui_agents.permission_mode": ("Permission mode", "权限模式"),
    "ui_agents.allow_read_only": ("Let read-only commands through without asking",
                                  "只读命令无需询问即可运行"),
    "ui_agents.allow_read_only_hint": (
        "In “Ask before tools” mode: reading files and plain commands such as ls, cat or "
        "git log run without a request. Off: every tool call asks first.",
        "在“使用工具前询问”模式下：读取文件以及 ls、cat、git log 等简单命令无需请求即可运行。"
        "关闭时：每次工具调用都会先询问。"),
    "ui_agents.mode.default": ("Ask before tools (default)", "使用工具前询问（default）"),
    "ui_agents.mode.acceptEdits": ("Accept file edits (acceptEdits)", "自动接受文件编辑（acceptEdits）"),
    "ui_agents.mode.plan": ("Plan only, no changes (plan)", "只做计划，不修改（plan）"),
    "ui_agents.mode.bypassPermissions": ("Never ask (bypassPermissions)",
                                         "从不询问（bypassPermissions）"),
    "ui_agents.bypass_note": (
        "Never asking is offered only because every task runs in a locked-down container "
        "with no network except the allowed hosts below; it can still change anything in "
        "the project's workspace.",
        "之所以提供“从不询问”，只是因为每个任务都运行在锁定的容器中，除下方允许的主机外没有网络；"
        "它仍然可以修改项目工作区中的任何内容。"),
    "ui_agents.allowed_tools": ("Pre-approved rules", "预先批准的规则"),
    "ui_agents.denied_tools": ("Always-denied tools", "始终拒绝的工具"),
    "ui_agents.rules_hint": (
        "One per line, Claude Code rule syntax: Edit, Bash(npm test:*), "
        "WebFetch(domain:example.org).",
        "每行一条，使用 Claude Code 规则语法：Edit、Bash(npm test:*)、"
        "WebFetch(domain:example.org)。"),
    "ui_agents.max_turns": ("Max turns", "最大轮数"),
    "ui_agents.budget": ("Budget per task (USD)", "每个任务的预算（美元）"),
    "ui_agents.approval_timeout": ("Approval timeout (minutes)", "审批超时（分钟）"),
    "ui_agents.bad_minutes": ("The approval timeout must be a whole number of minutes.",
                              "审批超时必须是整数分钟。"),
    "ui_agents.system_prompt": ("Extra system prompt", "附加系统提示"),
    "ui_agents.egress": ("Allowed hosts", "允许访问的主机"),
    "ui_agents.egress_hint": (
        "Hosts the agent's container may reach besides the model endpoint, one per line "
        "(e.g. pypi.org, .npmjs.org for a domain and its subdomains).",
        "除模型接口外，智能体容器可以访问的主机，每行一个（如 pypi.org，"
        ".npmjs.org 表示该域名及其子域名）。"),
    "ui_agents.settings_saved": ("Agent settings saved.", "智能体设置已保存。"),
    "ui_agents.always_allowed": ("Pre-approved rules in use", "正在使用的预先批准规则"),
    "ui_agents.always_allowed_hint": (
        "Matching tool calls run without asking. \"Always allow\" answers add rules here.",
        "匹配的工具调用无需询问即可运行。“始终允许”的回答会在这里添加规则。"),
    "ui_agents.no_rules": ("No pre-approved rules: every tool call asks first.",
                           "没有预先批准的规则：每次工具调用都会先询问。"),
    "ui_agents.remove_rule": ("Remove rule", "移除规则"),
    "ui_agents.rule_removed": ("Rule removed.", "规则已移除。"),
    # Submission
    "ui_agents.mode_prompt": ("Claude prompt", "Claude 提示"),
    "ui_agents.mode_shell": ("Shell command", "Shell 命令"),
    "ui_agents.prompt": ("Prompt", "提示"),
    "ui_agents.prompt_placeholder": ("Ask Claude Code to change, explain or fix something…",
                                     "让 Claude Code 修改、解释或修复某些内容…"),
    "ui_agents.ask": ("Ask Claude", "询问 Claude"),
    "ui_agents.no_credential": (
        "No model credential: Claude Code needs an Anthropic API key or OAuth token.",
        "没有模型凭据：Claude Code 需要 Anthropic API 密钥或 OAuth 令牌。"),
    "ui_agents.add_credential": ("Add one in your account", "在账户中添加"),
}
