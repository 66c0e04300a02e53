"""Texts for what the egress proxy reports (``egress.refused`` summaries,
``agent.budget_stopped``); the conversation view renders them."""

MESSAGES = {
    # An "egress.refused" event with "more": K (the rate limit's summary).
    "egress.refused_more": ("Blocked network access to {text} and {count} more",
                            "已阻止访问 {text}，另有 {count} 次"),
    # The reason code of an "egress.refused" event, for a tooltip-free detail line.
    "egress.reason.not_listed": ("not on the project's allowed hosts",
                                 "不在项目允许访问的主机列表中"),
    "egress.reason.bad_target": ("malformed address", "地址格式不正确"),
    "egress.reason.host_mismatch": ("the Host header names another host",
                                    "Host 请求头指向另一个主机"),
    "egress.reason.private_address": ("it resolves to a private or local address",
                                      "解析到私有或本地地址"),
    "egress.reason.model_path": ("not a model API path", "不是模型 API 路径"),
    # "agent.budget_stopped" {spent_usd, budget_usd}: the proxy refused a model call.
    "egress.budget_stopped": (
        "Model calls stopped: ${spent} spent of the ${budget} budget.",
        "已停止调用模型：已花费 ${spent}，预算为 ${budget}。"),
}
