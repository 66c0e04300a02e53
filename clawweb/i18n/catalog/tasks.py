MESSAGES = {
    "tasks.error.command_empty": ("Enter a command to run.", "请输入要运行的命令。"),
    "tasks.error.command_too_long": (
        "The command is too long (at most {limit_kb} KB).", "命令过长（最多 {limit_kb} KB）。"),
    "tasks.error.priority": ("Choose high, normal or low priority.", "请选择高、普通或低优先级。"),
    "tasks.error.timeout": (
        "The timeout must be between 1 and {max} seconds.", "超时时间必须在 1 到 {max} 秒之间。"),
    "tasks.error.kind": ("Unknown task type.", "未知的任务类型。"),
    "tasks.error.idempotency_key": (
        "This request could not be matched to a submission; reload the page and try again.",
        "无法识别此次提交，请刷新页面后重试。"),
    "tasks.wait.project_limit#one": (
        "Waiting: this project already runs {limit} task at once.",
        "等待中：该项目同时运行的任务已达 {limit} 个。"),
    "tasks.wait.project_limit#other": (
        "Waiting: this project already runs {limit} tasks at once.",
        "等待中：该项目同时运行的任务已达 {limit} 个。"),
    "tasks.wait.workers_busy": (
        "Waiting for a free worker.", "正在等待空闲的执行器。"),
    "tasks.wait.dispatching": ("Being handed to a worker…", "正在交给执行器…"),
    "tasks.wait.queue_unavailable": (
        "The task queue (Redis) is unavailable; the task will start when it is back.",
        "任务队列（Redis）不可用；恢复后任务会开始运行。"),
    "tasks.status.queued": ("Queued", "排队中"),
    "tasks.status.running": ("Running", "运行中"),
    "tasks.status.awaiting_approval": ("Awaiting approval", "等待批准"),
    "tasks.status.succeeded": ("Succeeded", "成功"),
    "tasks.status.failed": ("Failed", "失败"),
    "tasks.status.cancelled": ("Cancelled", "已取消"),
    "tasks.status.timed_out": ("Timed out", "已超时"),
    "tasks.status.interrupted": ("Interrupted", "已中断"),
    "tasks.output.truncated": (
        "Output truncated: {dropped_bytes} bytes not kept; the last part follows.",
        "输出已截断：{dropped_bytes} 字节未保留；以下是最后一部分。"),
}
