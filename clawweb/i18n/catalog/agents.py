MESSAGES = {
    # Credentials
    "credentials.bad_kind": ("Choose an API key or an OAuth token.", "请选择 API 密钥或 OAuth 令牌。"),
    "credentials.empty": ("Paste the key or token.", "请粘贴密钥或令牌。"),
    "credentials.too_long": ("That is too long to be a key or token.", "内容过长，不像是密钥或令牌。"),
    "credentials.bad_characters": (
        "A key or token contains no spaces, line breaks or control characters.",
        "密钥或令牌不能包含空格、换行或控制字符。"),
    "credentials.unreadable": (
        "The stored credential cannot be decrypted (the server's secret key changed?). "
        "Enter it again.",
        "无法解密已保存的凭据（服务器密钥可能已更换），请重新输入。"),
    "credentials.test_ok": ("The endpoint accepted this credential.", "接口接受了该凭据。"),
    "credentials.test_rejected": ("The endpoint rejected this credential.", "接口拒绝了该凭据。"),
    "credentials.test_unreachable": (
        "Could not check the credential: the model endpoint did not answer as expected.",
        "无法检查凭据：模型接口没有按预期响应。"),
    "credentials.missing": (
        "No Anthropic credential for this task. Add your API key or OAuth token under "
        "Account → Credentials, or ask the project owner to set a project credential.",
        "此任务没有可用的 Anthropic 凭据。请在“账户 → 凭据”中添加你的 API 密钥或 OAuth 令牌，"
        "或请项目所有者设置项目凭据。"),
    "credentials.api_key": ("API key", "API 密钥"),
    "credentials.oauth_token": ("Claude Code OAuth token", "Claude Code OAuth 令牌"),
    # Agent settings
    "agents.bad_model": ("Model names contain letters, digits, '.', '-', '_', ':' and '@' only.",
                         "模型名称只能包含字母、数字以及 . - _ : @。"),
    "agents.bad_permission_mode": (
        "Permission mode must be one of: default, acceptEdits, plan, bypassPermissions.",
        "权限模式必须是 default、acceptEdits、plan、bypassPermissions 之一。"),
    "agents.bad_rule": ("Not a valid permission rule: {rule}. Use e.g. Edit or Bash(npm test:*).",
                        "无效的权限规则：{rule}。示例：Edit 或 Bash(npm test:*)。"),
    "agents.too_many_rules": ("At most {max} rules per list.", "每个列表最多 {max} 条规则。"),
    "agents.bad_max_turns": ("Max turns must be between 1 and {max}.", "最大轮数必须在 1 到 {max} 之间。"),
    "agents.bad_budget": ("Budget must be more than 0 and at most {max} USD.",
                          "预算必须大于 0 且不超过 {max} 美元。"),
    "agents.bad_approval_timeout": ("Approval timeout must be between {min} and {max} seconds.",
                                    "审批超时必须在 {min} 到 {max} 秒之间。"),
    "agents.system_prompt_too_long": ("The extra system prompt is too long (max {max} characters).",
                                      "附加系统提示过长（最多 {max} 个字符）。"),
    "agents.bad_host": ("Not a valid host for the allow-list: {host}.", "无效的允许主机：{host}。"),
    "agents.budget_reached": ("Stopped: the task's cost reached the project budget of ${budget}.",
                              "已停止：任务费用达到项目预算 ${budget}。"),
    "agents.max_turns_reached": ("Stopped: the agent reached the limit of {turns} turns.",
                                 "已停止：智能体达到了 {turns} 轮的上限。"),
    "agents.api_error": ("The model API failed: {detail}", "模型接口出错：{detail}"),
    "agents.interrupted": ("Interrupted. Send a follow-up to continue the session.",
                           "已中断。发送后续消息以继续会话。"),
    "agents.cli_failed": ("Claude Code stopped unexpectedly: {detail}", "Claude Code 意外停止：{detail}"),
    # Approvals
    "approvals.not_pending": ("This request was already answered or has expired.",
                              "该请求已被处理或已过期。"),
    "approvals.expired": ("This request has expired.", "该请求已过期。"),
    "approvals.withdrawn": ("This request was withdrawn: its task is no longer running.",
                            "该请求已撤回：其任务已不在运行。"),
    "approvals.task_ended": ("The task has ended; this request can no longer be answered.",
                             "任务已结束，无法再处理此请求。"),
    "approvals.why.rule": ("Ran without asking: pre-approved by the project rule {rule}",
                           "未经询问即运行：已由项目规则 {rule} 预先批准"),
    "approvals.why.read_only": (
        "Ran without asking: a read-only call, and this project lets those through",
        "未经询问即运行：只读调用，本项目允许此类调用直接运行"),
    "approvals.why.mode": ("Not asked: the permission mode is {mode}",
                           "未询问：权限模式为 {mode}"),
    "approvals.why.plan_file": ("Not asked: Claude's own plan file (the plan itself is asked about)",
                                "未询问：Claude 自己的计划文件（计划本身会征求同意）"),
    "approvals.withdrawn.finished": ("The task finished.", "任务已结束。"),
    "approvals.withdrawn.cancelled": ("The task was cancelled.", "任务已取消。"),
    "approvals.withdrawn.interrupted": ("The turn was interrupted.", "本轮已被中断。"),
    "approvals.withdrawn.failed": ("The task failed.", "任务失败。"),
    "approvals.withdrawn.lost": ("The task's worker was lost.", "任务的执行进程已丢失。"),
    "approvals.bad_decision": ("Choose allow, deny or always allow.", "请选择允许、拒绝或始终允许。"),
    "approvals.viewer": ("Viewers cannot answer approval requests.", "查看者不能处理审批请求。"),
    "approvals.message_too_long": ("The message is too long.", "消息过长。"),
    "approvals.timed_out_text": (
        "Permission request timed out after {seconds} seconds with no answer; treated as denied.",
        "权限请求在 {seconds} 秒内无人回应，已视为拒绝。"),
    "approvals.denied_text": ("The user denied this tool call.", "用户拒绝了此工具调用。"),
    "approvals.keep_planning_text": (
        "The user wants you to keep planning: revise the plan and propose it again.",
        "用户希望你继续规划：请修改计划后再次提出。"),
}
