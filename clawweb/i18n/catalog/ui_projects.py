MESSAGES = {
    # list
    "projects_ui.title": ("Projects", "项目"),
    "projects_ui.new": ("New project", "新建项目"),
    "projects_ui.empty_title": ("No projects yet", "还没有项目"),
    "projects_ui.empty_hint": (
        "Create a project from a git repository, or start with an empty one. "
        "Then run tasks on it from here.",
        "从 git 仓库创建项目，或从空仓库开始，然后在这里对它运行任务。",
    ),
    "projects_ui.col_name": ("Name", "名称"),
    "projects_ui.col_description": ("Description", "描述"),
    "projects_ui.col_branch": ("Default branch", "默认分支"),
    "projects_ui.col_role": ("Your role", "你的角色"),
    "projects_ui.col_created": ("Created", "创建于"),
    "projects_ui.no_description": ("No description", "无描述"),
    # roles
    "projects_ui.role_owner": ("Owner", "所有者"),
    "projects_ui.role_editor": ("Editor", "编辑者"),
    "projects_ui.role_viewer": ("Viewer", "查看者"),
    "projects_ui.role_admin": ("Admin (not a member)", "管理员（非成员）"),
    # new project
    "projects_ui.new_title": ("New project", "新建项目"),
    "projects_ui.name": ("Name", "名称"),
    "projects_ui.description": ("Description (optional)", "描述（可选）"),
    "projects_ui.source": ("Start from", "起点"),
    "projects_ui.source_empty": ("An empty repository", "空仓库"),
    "projects_ui.source_clone": ("A git repository to clone", "克隆一个 git 仓库"),
    "projects_ui.source_url": ("Repository URL or path", "仓库 URL 或路径"),
    "projects_ui.source_url_hint": (
        "A public https:// URL, a file:// URL or an absolute path on the server "
        "(paths and file:// URLs: administrators only).",
        "公开的 https:// URL、file:// URL 或服务器上的绝对路径（路径和 file:// URL 仅限管理员）。",
    ),
    "projects_ui.source_invalid": ("Choose where the project starts from.", "请选择项目的起点。"),
    "projects_ui.create": ("Create project", "创建项目"),
    "projects_ui.creating_empty": ("Creating the repository…", "正在创建仓库…"),
    "projects_ui.cloning": (
        "Cloning the repository… this can take a while for large repositories.",
        "正在克隆仓库……大型仓库可能需要一些时间。",
    ),
    "projects_ui.created": ("Project created.", "项目已创建。"),
    "projects_ui.back": ("All projects", "全部项目"),
    "projects_ui.back_project": ("Back to the project", "返回项目"),
    # project page
    "projects_ui.not_found_title": ("Project not found", "未找到项目"),
    "projects_ui.not_found_hint": (
        "It does not exist, or you are not a member. Ask an owner to add you.",
        "该项目不存在，或你不是其成员。请让项目所有者添加你。",
    ),
    "projects_ui.settings": ("Settings", "设置"),
    "projects_ui.commits": ("Recent commits", "最近提交"),
    "projects_ui.commits_on": ("on", "分支"),
    "projects_ui.no_commits": (
        "No commits on this branch yet.", "该分支还没有提交。",
    ),
    "projects_ui.tasks": ("Tasks", "任务"),
    # settings
    "projects_ui.settings_title": ("Project settings", "项目设置"),
    "projects_ui.general": ("General", "常规"),
    "projects_ui.read_only": (
        "Only owners can change these settings.", "只有所有者可以更改这些设置。",
    ),
    "projects_ui.default_branch": ("Default branch", "默认分支"),
    "projects_ui.max_concurrent": ("Max concurrent tasks (1–20)", "最大并发任务数（1–20）"),
    "projects_ui.timeout": ("Task timeout (minutes)", "任务超时（分钟）"),
    "projects_ui.members": ("Members", "成员"),
    "projects_ui.add_member": ("Add member", "添加成员"),
    "projects_ui.member_username": ("Username", "用户名"),
    "projects_ui.member_role": ("Role", "角色"),
    "projects_ui.member_added": ("Member added.", "已添加成员。"),
    "projects_ui.member_removed": ("Member removed.", "已移除成员。"),
    "projects_ui.remove": ("Remove", "移除"),
    "projects_ui.remove_member_title": ("Remove this member?", "移除该成员？"),
    "projects_ui.remove_member_hint": (
        "They lose access to the project and its tasks.", "他们将无法再访问该项目及其任务。",
    ),
    "projects_ui.left": ("You left the project.", "你已离开该项目。"),
    "projects_ui.danger": ("Danger zone", "危险区域"),
    "projects_ui.delete": ("Delete project", "删除项目"),
    "projects_ui.delete_hint": (
        "Deletes the project, its tasks and its repository. This cannot be undone.",
        "删除该项目、其任务及其仓库。此操作无法撤销。",
    ),
    "projects_ui.delete_type": ("Type the project name to confirm:", "输入项目名称以确认："),
    "projects_ui.delete_confirm": ("Delete forever", "永久删除"),
    "projects_ui.deleted": ("Project deleted.", "项目已删除。"),
    "projects_ui.deleting": ("Deleting the project and its repository…", "正在删除项目及其仓库…"),
}
