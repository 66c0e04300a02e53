MESSAGES = {
    # Service errors (clawweb/services/tasks/input.py).
    "task_input.not_shell": (
        "Only shell tasks take input; talk to Claude with a follow-up.",
        "只有 Shell 任务可以接收输入；与 Claude 对话请发送追问。"),
    "task_input.not_running": (
        "The task is not running, so it cannot take input.",
        "任务未在运行，无法接收输入。"),
    "task_input.one_line": (
        "Send one line at a time (no line breaks).", "每次只能发送一行（不能包含换行）。"),
    "task_input.too_long": (
        "The line is too long (at most {limit} bytes).", "这一行过长（最多 {limit} 字节）。"),
    "task_input.rate_limited": (
        "Too much input at once; wait {seconds} seconds and try again.",
        "输入过于频繁；请等待 {seconds} 秒后重试。"),
    "task_input.backlog_full": (
        "The command is not reading its input; earlier lines are still waiting.",
        "命令没有读取输入；之前发送的行仍在等待。"),
    # The audit log's names for what the service records (kept here, next to the feature).
    "audit.action.task.input": ("Input sent to a task", "向任务发送了输入"),
    "audit.action.task.sigint": ("Ctrl-C sent to a task", "向任务发送了 Ctrl-C"),
    "audit.action.task.stdin_close": ("Task input closed (Ctrl-D)", "关闭了任务的输入（Ctrl-D）"),
    # What the worker says in the output.
    "task_input.stdin_closed": (
        "The command no longer reads its input; the line was not sent.",
        "命令已不再读取输入；这一行未发送。"),
    "task_input.interrupted_by": (
        "interrupted with Ctrl-C by {user}", "已被 {user} 用 Ctrl-C 中断"),
    # The task page's input box (clawweb/components/task_input.py).
    "ui_task_input.label": ("Input", "输入"),
    "ui_task_input.placeholder": (
        "Type a line for the command, e.g. y", "输入一行发给命令，例如 y"),
    "ui_task_input.send": ("Send", "发送"),
    "ui_task_input.ctrl_c_label": (
        "Send Ctrl-C (interrupt the command)", "发送 Ctrl-C（中断命令）"),
    "ui_task_input.ctrl_d_label": (
        "Send Ctrl-D (end the command's input)", "发送 Ctrl-D（结束命令的输入）"),
    "ui_task_input.hint": (
        "Sent to the command's standard input; everyone on this page sees what you type.",
        "发送到命令的标准输入；查看此页面的所有人都能看到你输入的内容。"),
    "ui_task_input.ctrl_c_sent": ("Ctrl-C sent.", "已发送 Ctrl-C。"),
}
