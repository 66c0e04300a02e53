MESSAGES = {
    "app.name": ("clawweb", "clawweb"),
    "errors.forbidden": ("You do not have access to that.", "你没有权限访问该内容。"),
    "errors.not_found": ("Not found.", "未找到。"),
    "errors.redis_unavailable": (
        "The task queue (Redis) is unavailable. Nothing was submitted; try again shortly.",
        "任务队列（Redis）不可用。没有提交任何内容，请稍后重试。",
    ),
    "errors.unexpected": ("Something went wrong. Please try again.", "出错了，请重试。"),
    "errors.sign_in_required": ("Please sign in.", "请先登录。"),
}
