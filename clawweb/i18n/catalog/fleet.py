"""Texts about the workers as a whole (the banner shown when none is alive)."""

MESSAGES = {
    "fleet.no_worker": ("No worker is running: tasks wait in the queue and nothing runs "
                        "them.",
                        "没有正在运行的工作进程：任务会留在队列中，无人执行。"),
    "fleet.no_worker_hint": (
        "Start one with ./scripts/up (it restarts workers that die) or "
        "`python -m worker` on a worker host. A task whose worker died is ended "
        "within a minute.",
        "请用 ./scripts/up 启动（它会重启退出的工作进程），或在工作主机上运行 "
        "`python -m worker`。工作进程意外退出时，其任务会在一分钟内结束。"),
}
