"""Messages of the REST API (clawweb/rest) and of API tokens (services/accounts/api_tokens.py)."""

MESSAGES = {
    # Tokens (service errors, shown on the account page and by the API)
    "api_tokens.scopes_invalid": ("Choose at least one scope: read, tasks, approvals or admin.",
                                  "请至少选择一个权限范围：read、tasks、approvals 或 admin。"),
    "api_tokens.name_required": ("Give the token a name, e.g. the machine it is for.",
                                 "请为令牌命名，例如使用它的机器。"),
    "api_tokens.name_too_long": ("The name is too long (at most {max} characters).",
                                 "名称过长（最多 {max} 个字符）。"),
    "api_tokens.admin_scope_admins_only": ("Only administrators can make tokens with the "
                                           "admin scope.",
                                           "只有管理员可以创建带 admin 权限范围的令牌。"),
    "api_tokens.expiry_invalid": ("Choose one of the offered expiry times.",
                                  "请选择提供的有效期之一。"),
    "api_tokens.too_many": ("You have {max} tokens already; revoke one first.",
                            "你已有 {max} 个令牌，请先撤销一个。"),
    # Errors of the API itself (the "code" of an error body)
    "api.token_missing": ("Send an API token: Authorization: Bearer <token>.",
                          "请发送 API 令牌：Authorization: Bearer <令牌>。"),
    "api.token_invalid": ("This API token is unknown, expired or revoked.",
                          "此 API 令牌未知、已过期或已撤销。"),
    "api.password_change_required": ("The account's password must be changed before its "
                                     "tokens work again.",
                                     "该账户必须先修改密码，其令牌才能再次使用。"),
    "api.scope_missing": ("This token lacks the \"{scope}\" scope.",
                          "此令牌缺少“{scope}”权限范围。"),
    "api.project_restricted": ("This token is limited to one project.",
                               "此令牌仅限于一个项目。"),
    "api.rate_limited": ("Too many requests with this token; retry in {seconds} s.",
                         "此令牌的请求过多，请在 {seconds} 秒后重试。"),
    "api.request_invalid": ("The request is not valid: {detail}", "请求无效：{detail}"),
    "api.cursor_invalid": ("The cursor is not valid; start from the first page.",
                           "游标无效，请从第一页开始。"),
    "api.body_unreadable": ("The request body could not be read: send UTF-8 JSON.",
                            "无法读取请求正文：请发送 UTF-8 编码的 JSON。"),
    "api.not_found": ("No such API route.", "没有这个 API 路由。"),
    "api.method_not_allowed": ("This method is not allowed here.", "此处不允许该方法。"),
    "api.http_error": ("The request failed (HTTP {status}).", "请求失败（HTTP {status}）。"),
    "api.last_event_id_invalid": ("Last-Event-ID must be an event number.",
                                  "Last-Event-ID 必须是事件编号。"),
    "api.stream_ended": ("The stream ended: access to the task was lost.",
                         "流已结束：已失去对该任务的访问权限。"),
}
