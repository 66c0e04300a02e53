MESSAGES = {
    "auth.slow_down": (
        "Too many sign-in attempts from your network right now. Try again in {seconds} s.",
        "你的网络当前登录尝试过多，请在 {seconds} 秒后重试。",
    ),
    "security.origin_refused": (
        "This request did not come from clawweb's own page. Reload the page and try again.",
        "此请求不是来自 clawweb 自己的页面。请刷新页面后重试。",
    ),
}
