"""The prompt box's slash-command completions and the repository-settings switch."""

MESSAGES = {
    "ui_completions.label": ("Commands", "命令"),
    "ui_completions.kind.command": ("command", "命令"),
    "ui_completions.kind.skill": ("skill", "技能"),
    "ui_completions.kind.builtin": ("built-in", "内置"),
    "ui_completions.builtin.init": ("Write a CLAUDE.md that describes this repository",
                                    "编写描述此仓库的 CLAUDE.md"),
    "ui_completions.builtin.security-review": ("Look for security problems in the changes",
                                               "检查改动中的安全问题"),
    "ui_completions.builtin.compact": ("Summarise the conversation so far (follow-ups)",
                                       "压缩总结目前的对话（用于追问）"),
    "ui_agents.use_repo_settings": ("Use the repository's .claude settings and CLAUDE.md",
                                    "使用仓库的 .claude 设置和 CLAUDE.md"),
    "ui_agents.use_repo_settings_hint": (
        "Claude Code reads the repository's CLAUDE.md and .claude/settings.json, and its "
        "slash commands and skills are offered in the prompt box. Its allow rules never "
        "skip a request: in “Ask before tools” mode every tool call still asks first.",
        "Claude Code 会读取仓库的 CLAUDE.md 和 .claude/settings.json，其斜杠命令和技能会在提示框中提供。"
        "仓库的允许规则不会跳过请求：在“使用工具前询问”模式下，每次工具调用仍会先询问。"),
}
