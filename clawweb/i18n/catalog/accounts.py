"""Messages of the account services: sign-in, passwords, user management, setup.

The setup page's own labels (``setup.title`` …) live in ``shell.py``.
"""

MESSAGES = {
    # Sign-in and passwords
    "auth.invalid_credentials": (
        "Wrong username or password.",
        "用户名或密码错误。",
    ),
    "auth.locked#one": (
        "Too many failed attempts. Try again in {minutes} minute.",
        "失败次数过多，请在 {minutes} 分钟后重试。",
    ),
    "auth.locked#other": (
        "Too many failed attempts. Try again in {minutes} minutes.",
        "失败次数过多，请在 {minutes} 分钟后重试。",
    ),
    "auth.password_too_short": (
        "The password must be at least {min} characters long.",
        "密码长度至少为 {min} 个字符。",
    ),
    "auth.password_too_long": (
        "The password must be at most {max} characters long.",
        "密码长度不能超过 {max} 个字符。",
    ),
    "auth.password_common": (
        "This password is too common or too easy to guess. Choose another.",
        "该密码过于常见或容易被猜到，请换一个。",
    ),
    "auth.password_is_username": (
        "The password must not be your username.",
        "密码不能与用户名相同。",
    ),
    # Accounts
    "accounts.username_invalid": (
        "Usernames are 3 to 64 characters: letters, digits, dot, dash and underscore.",
        "用户名为 3 到 64 个字符，只能包含字母、数字、点、连字符和下划线。",
    ),
    "accounts.username_taken": (
        "That username is already taken.",
        "该用户名已被使用。",
    ),
    "accounts.mode_invalid": (
        "Choose either a one-time password or an invite link.",
        "请选择一次性密码或邀请链接。",
    ),
    "accounts.role_invalid": ("Unknown role.", "未知的角色。"),
    "accounts.display_name_invalid": (
        "Display names are at most {max} characters, without control characters.",
        "显示名称最多 {max} 个字符，且不能包含控制字符。",
    ),
    "accounts.invite_invalid": (
        "This invite link is invalid, already used or expired. Ask an administrator for a new one.",
        "该邀请链接无效、已被使用或已过期，请联系管理员获取新的链接。",
    ),
    "accounts.cannot_disable_self": (
        "You cannot disable your own account.",
        "你不能停用自己的账户。",
    ),
    "accounts.last_admin": (
        "At least one enabled administrator must remain.",
        "必须至少保留一位启用状态的管理员。",
    ),
    "accounts.current_password_wrong": (
        "The current password is wrong.",
        "当前密码不正确。",
    ),
    "accounts.password_unchanged": (
        "The new password must differ from the current one.",
        "新密码不能与当前密码相同。",
    ),
    "accounts.language_invalid": ("Unknown language.", "未知的语言。"),
    # First-run setup
    "setup.bad_code": (
        "Wrong setup code. It is printed in the server's log when clawweb starts.",
        "设置码错误。clawweb 启动时会在服务器日志中打印设置码。",
    ),
    "setup.already_done": (
        "Setup is already complete. Please sign in.",
        "已完成设置，请登录。",
    ),
}
