"""UI text of the account pages: profile, language, password, signed-in devices."""

MESSAGES = {
    "account.title": ("Account", "账户"),
    "account.tab_profile": ("Profile", "个人资料"),
    "account.tab_devices": ("Signed-in devices", "已登录设备"),
    "account.menu": ("Account menu", "账户菜单"),
    # Forced password change
    "account.must_change_title": ("Choose a new password", "请设置新密码"),
    "account.must_change_body": (
        "You signed in with a one-time password. Choose your own password below "
        "before using clawweb.",
        "你使用一次性密码登录。请先在下方设置自己的密码，然后再使用 clawweb。",
    ),
    # Profile
    "account.profile": ("Profile", "个人资料"),
    "account.username": ("Username", "用户名"),
    "account.display_name": ("Display name", "显示名称"),
    "account.language": ("Language", "语言"),
    "account.language_auto": ("Follow the browser", "跟随浏览器"),
    "account.save_profile": ("Save profile", "保存资料"),
    "account.profile_saved": ("Profile saved.", "资料已保存。"),
    # Password
    "account.password": ("Password", "密码"),
    "account.password_hint": (
        "At least 10 characters; a phrase of several words is easy to remember. "
        "Your other devices are signed out.",
        "至少 10 个字符；由几个词组成的短语更容易记住。你的其他设备将被登出。",
    ),
    "account.current_password": ("Current password", "当前密码"),
    "account.new_password": ("New password", "新密码"),
    "account.repeat_password": ("Repeat new password", "重复新密码"),
    "account.change_password": ("Change password", "修改密码"),
    "account.passwords_differ": ("The two new passwords differ.", "两次输入的新密码不一致。"),
    "account.password_changed": ("Password changed.", "密码已修改。"),
    "account.sign_out": ("Sign out", "登出"),
    "account.sign_out_hint": ("Sign out of this browser.", "在此浏览器上登出。"),
    # Devices
    "account.devices_intro": (
        "Browsers where you are signed in. Revoke any you do not recognise.",
        "这些是你已登录的浏览器。如有不认识的，请撤销。",
    ),
    "account.devices_empty": ("No active sessions", "没有活动的会话"),
    "account.devices_empty_hint": ("Sign in again to see this device here.",
                                   "重新登录后即可在此看到本设备。"),
    "account.this_device": ("This device", "本设备"),
    "account.signed_in_at": ("Signed in", "登录于"),
    "account.last_seen": ("Last seen", "最近活动"),
    "account.ip": ("IP address", "IP 地址"),
    "account.unknown_device": ("Unknown device", "未知设备"),
    "account.unknown_ip": ("unknown", "未知"),
    "account.revoke": ("Revoke", "撤销"),
    "account.revoke_title": ("Revoke this session?", "撤销此会话？"),
    "account.revoke_body": (
        "{device} will be signed out within seconds.",
        "{device} 将在几秒内被登出。",
    ),
    "account.revoke_self_body": (
        "This is the device you are using: you will be signed out.",
        "这是你正在使用的设备：你将被登出。",
    ),
    "account.revoked": ("Session revoked.", "会话已撤销。"),
}
