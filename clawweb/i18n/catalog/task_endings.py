"""Why a task ended: the worker stores these as keys (``Task.failure_reason``), the page
translates them for its reader."""

MESSAGES = {
    "tasks.ended.cancelled_by": ("cancelled by {user}", "已被 {user} 取消"),
    "tasks.ended.cancelled": ("cancelled by a user", "已被一位用户取消"),
    "tasks.ended.timed_out": ("timed out after {seconds} s", "运行 {seconds} 秒后超时"),
    "tasks.ended.exit_code": ("exited with code {code}", "以退出码 {code} 结束"),
    "tasks.ended.out_of_memory": ("out of memory (limit {limit_mb} MB)",
                                  "内存不足（上限 {limit_mb} MB）"),
    "tasks.ended.worker_stopped_early": ("the worker stopped before the command started",
                                         "命令开始前执行器已停止"),
    "tasks.ended.worker_stopped": ("the worker was stopped while the task was running",
                                   "任务运行时执行器被停止"),
    "tasks.ended.lost_started": ("the worker running this task stopped unexpectedly",
                                 "运行此任务的执行器意外停止"),
    "tasks.ended.lost_retried": ("worker lost before the command started; retried",
                                 "命令开始前执行器丢失；已重试"),
    "tasks.ended.lost_gave_up": ("the worker was lost before the command started, {attempts} times",
                                 "命令开始前执行器已丢失 {attempts} 次"),
}
