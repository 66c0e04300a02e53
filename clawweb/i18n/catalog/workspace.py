"""A task's files on the host: saving its work, its size-limited disk, its Claude session."""

MESSAGES = {
    "workspace.nothing_changed": (
        "Nothing changed in the working copy, so no branch was published.",
        "工作副本没有任何改动，因此没有发布分支。",
    ),
    "workspace.save_failed": (
        "Could not save the task's changes ({detail}); no branch was published.",
        "无法保存任务的改动（{detail}）；没有发布分支。",
    ),
    "workspace.sandbox_not_removed": (
        "The task's container could not be removed, so its changes were not saved: "
        "the server never reads a working copy while its container may still run.",
        "无法删除任务的容器，因此没有保存它的改动："
        "只要容器可能仍在运行，服务器就不会读取其工作副本。",
    ),
    "workspace.disk_full": (
        "The task's disk is full (limit {limit_mb} MB). Writes beyond it failed with "
        "\"No space left on device\".",
        "任务的磁盘已满（上限 {limit_mb} MB）。"
        "超出部分的写入失败（No space left on device）。",
    ),
    "workspace.disk_needs_root": (
        "The worker cannot give this task a size-limited disk: loop-mounting one needs "
        "root. Run the worker as root, or set CLAWWEB_TASK_DISK_MB=0 to run tasks "
        "without a disk limit (a task could then fill the server's disk).",
        "工作进程无法为此任务提供限额磁盘：挂载回环磁盘需要 root 权限。"
        "请以 root 运行工作进程，或设置 CLAWWEB_TASK_DISK_MB=0 以不限磁盘运行任务"
        "（任务可能因此占满服务器磁盘）。",
    ),
    "workspace.disk_failed": (
        "Could not set up the task's size-limited disk ({detail}).",
        "无法为任务创建限额磁盘（{detail}）。",
    ),
    "workspace.disk_busy": (
        "The files of an earlier run of this task are still in use on this server.",
        "此任务之前运行的文件在本服务器上仍在使用中。",
    ),
    "workspace.unmount_failed": (
        "The task's disk could not be unmounted ({detail}).",
        "无法卸载任务的磁盘（{detail}）。",
    ),
    "workspace.session_not_saved": (
        "Claude's conversation was not kept for follow-ups: {detail}",
        "Claude 的对话未被保留以供后续追问：{detail}",
    ),
    "workspace.session_too_big": (
        "the session file is larger than {max_mb} MB.",
        "会话文件超过 {max_mb} MB。",
    ),
    "workspace.session_not_regular": (
        "the session file is not a regular file (a link, a device or a pipe).",
        "会话文件不是普通文件（而是链接、设备或管道）。",
    ),
    "workspace.session_missing": (
        "The earlier conversation was not kept, so this follow-up starts a new one.",
        "之前的对话未被保留，因此此次追问将开始新的对话。",
    ),
}
