MESSAGES = {
    # git: clone sources and repository operations
    "git.failed": ("A git operation failed.", "git 操作失败。"),
    "git.timeout": ("The git operation took too long and was stopped.",
                    "git 操作耗时过长，已被终止。"),
    "git.url_invalid": ("That is not a valid repository URL or absolute path.",
                        "这不是有效的仓库 URL 或绝对路径。"),
    "git.url_unsupported": (
        "Only public https:// URLs, file:// URLs and local paths are supported "
        "(no ssh, git:// or other transports).",
        "仅支持公开的 https:// URL、file:// URL 和本地路径（不支持 ssh、git:// 或其他传输方式）。",
    ),
    "git.url_credentials": (
        "Remove the user name and password from the URL: only public repositories can be cloned.",
        "请从 URL 中删除用户名和密码：只能克隆公开仓库。",
    ),
    "git.url_not_public": (
        "That address is local or private; use a public https:// URL.",
        "该地址是本地或私有地址；请使用公开的 https:// URL。",
    ),
    "git.unreachable": ("The repository's host could not be reached.", "无法连接到仓库所在的主机。"),
    "git.not_a_repo": ("No git repository was found at that address.", "该地址上没有找到 git 仓库。"),
    "git.auth_required": (
        "That repository requires a sign-in (or does not exist). Only public repositories "
        "can be cloned.",
        "该仓库需要登录（或不存在）。只能克隆公开仓库。",
    ),
    "git.clone_failed": ("Cloning the repository failed.", "克隆仓库失败。"),
    "git.dest_exists": ("The destination already exists.", "目标位置已存在。"),
    "git.branch_invalid": ("“{branch}” is not a valid branch name.", "“{branch}”不是有效的分支名。"),
    "git.branch_missing": ("The branch “{branch}” does not exist.", "分支“{branch}”不存在。"),
    "git.branch_protected": (
        "A task cannot overwrite the default branch “{branch}”.",
        "任务不能覆盖默认分支“{branch}”。",
    ),
    "git.workdir_unsafe": (
        "The task's working copy was tampered with (unsafe link or git directory); "
        "its changes were not collected.",
        "任务的工作副本被篡改（不安全的链接或 git 目录）；未收集其更改。",
    ),
    # projects
    "projects.name_required": ("Please enter a project name.", "请输入项目名称。"),
    "projects.name_too_long": ("The project name is too long (at most 100 characters).",
                               "项目名称过长（最多 100 个字符）。"),
    "projects.confirm_mismatch": (
        "Type the project's name exactly to confirm deletion.",
        "请准确输入项目名称以确认删除。",
    ),
    "projects.local_source_admin_only": (
        "Only administrators can clone from a path or file:// URL on the server.",
        "只有管理员可以从服务器上的路径或 file:// URL 克隆。",
    ),
    "projects.limit_invalid": (
        "“{field}” must be between {low} and {high}.", "“{field}”必须介于 {low} 和 {high} 之间。",
    ),
    "projects.last_owner": (
        "A project must keep at least one owner.", "项目必须至少保留一位所有者。",
    ),
    "projects.user_not_found": ("No active user named “{username}”.", "没有名为“{username}”的活跃用户。"),
    "projects.already_member": ("“{username}” is already a member.", "“{username}”已经是成员。"),
    "projects.not_member": ("That user is not a member of this project.", "该用户不是此项目的成员。"),
    "projects.role_invalid": ("Unknown role.", "未知角色。"),
    "projects.has_active_tasks": (
        "This project still has queued or running tasks; cancel them first.",
        "该项目仍有排队或运行中的任务；请先取消它们。",
    ),
    "projects.create_failed": ("The project could not be created.", "无法创建项目。"),
}
