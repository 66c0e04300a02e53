MESSAGES = {
    "agent_tasks.model_not_allowed": ("This project does not allow that model.",
                                      "此项目不允许使用该模型。"),
    "agent_tasks.mode_not_allowed": ("This project does not allow that permission mode.",
                                     "此项目不允许使用该权限模式。"),
    "agent_tasks.no_credential": (
        "No model credential to run Claude Code with. Add your Anthropic API key or OAuth "
        "token under Account settings → Model credential, or ask the project owner to set "
        "a project credential.",
        "没有可用于运行 Claude Code 的模型凭据。请在“账户设置 → 模型凭据”中添加你的 "
        "Anthropic API 密钥或 OAuth 令牌，或请项目所有者设置项目凭据。"),
    "agent_tasks.credential_unreadable": (
        "The stored model credential cannot be decrypted. Enter it again under Account "
        "settings → Model credential.",
        "无法解密已保存的模型凭据，请在“账户设置 → 模型凭据”中重新输入。"),
    "agent_tasks.not_claude": (
        "This is not a Claude Code task.", "这不是 Claude Code 任务。"),
    "agent_tasks.parent_active": (
        "Wait until the current run on this branch has finished, then follow up.",
        "请等待该分支上正在进行的运行结束后再继续追问。"),
    "agent_tasks.no_session": (
        "This task has no Claude conversation to continue. Start a new task instead.",
        "该任务没有可继续的 Claude 对话，请新建任务。"),
    "agent_tasks.not_running": (
        "The task is not running, so there is nothing to interrupt.",
        "任务未在运行，无需中断。"),
}
