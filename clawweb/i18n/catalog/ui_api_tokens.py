"""Messages of the API token sections (account page and admin page)."""

MESSAGES = {
    "ui_api_tokens.title": ("API tokens", "API 令牌"),
    "ui_api_tokens.intro": ("Tokens let the clawweb CLI and scripts use the REST API "
                            "(/api/v1) as you. A token never does more than you may do "
                            "yourself.",
                            "令牌让 clawweb 命令行工具和脚本以你的身份使用 REST API"
                            "（/api/v1）。令牌的权限永远不会超过你本人。"),
    "ui_api_tokens.none": ("You have no API tokens.", "你没有 API 令牌。"),
    "ui_api_tokens.new": ("New token", "新建令牌"),
    "ui_api_tokens.create_title": ("New API token", "新建 API 令牌"),
    "ui_api_tokens.name": ("Name (e.g. the machine it is for)", "名称（例如使用它的机器）"),
    "ui_api_tokens.scopes": ("Scopes", "权限范围"),
    "ui_api_tokens.scopes_hint": ("read: see; tasks: run and cancel; approvals: decide; "
                                  "admin: administer.",
                                  "read：查看；tasks：运行和取消；approvals：审批；"
                                  "admin：管理。"),
    "ui_api_tokens.project": ("Project", "项目"),
    "ui_api_tokens.all_projects": ("All my projects", "我的所有项目"),
    "ui_api_tokens.expires": ("Expires", "过期时间"),
    "ui_api_tokens.days": ("In {days} days", "{days} 天后"),
    "ui_api_tokens.never": ("Never", "永不"),
    "ui_api_tokens.create": ("Create token", "创建令牌"),
    "ui_api_tokens.created_title": ("Your new token", "你的新令牌"),
    "ui_api_tokens.created_once": ("Copy it now: it is shown only this once and cannot be "
                                   "looked up again.",
                                   "请立即复制：它只显示这一次，之后无法再次查看。"),
    "ui_api_tokens.owner": ("Owner", "所有者"),
    "ui_api_tokens.created": ("Created", "创建于"),
    "ui_api_tokens.last_used": ("Last used", "最近使用"),
    "ui_api_tokens.never_used": ("Never used", "从未使用"),
    "ui_api_tokens.expired": ("Expired", "已过期"),
    "ui_api_tokens.revoke_title": ("Revoke this token?", "撤销此令牌？"),
    "ui_api_tokens.revoke_body": ("\"{name}\" stops working at once, for every program "
                                  "that uses it.",
                                  "“{name}”将立即失效，所有使用它的程序都将无法再用。"),
    "ui_api_tokens.revoked": ("Token revoked.", "令牌已撤销。"),
    "ui_api_tokens.all_title": ("Everyone's API tokens", "所有人的 API 令牌"),
    "ui_api_tokens.none_at_all": ("Nobody has an API token.", "没有人有 API 令牌。"),
}
