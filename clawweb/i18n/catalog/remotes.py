MESSAGES = {
    # remote URLs
    "remotes.url_invalid": ("That is not a valid remote URL.", "这不是有效的远程仓库 URL。"),
    "remotes.url_unsupported": (
        "Use an https:// URL or an SSH address (ssh://host/path or git@host:path); local "
        "paths, file://, git:// and other transports are not allowed for a remote.",
        "请使用 https:// URL 或 SSH 地址（ssh://host/path 或 git@host:path）；远程仓库不允许使用"
        "本地路径、file://、git:// 或其他传输方式。"),
    "remotes.url_credentials": (
        "Remove the user name and password from the URL; put the access token in its own "
        "field, where it is stored encrypted.",
        "请从 URL 中删除用户名和密码；把访问令牌填在单独的字段中，它会被加密保存。"),
    "remotes.url_http_not_allowed": (
        "Plain http:// is only allowed for hosts the administrator listed; use https://.",
        "只有管理员列出的主机才允许使用 http://；请使用 https://。"),
    "remotes.url_not_public": (
        "That host is local or private. Only public hosts can be remotes, unless the "
        "administrator lists the host in CLAWWEB_REMOTE_PRIVATE_HOSTS.",
        "该主机是本地或私有地址。只有公网主机可以作为远程仓库，除非管理员在 "
        "CLAWWEB_REMOTE_PRIVATE_HOSTS 中列出该主机。"),
    "remotes.not_configured": ("This project has no remote yet: set its URL in the project "
                               "settings.", "此项目尚未设置远程仓库：请在项目设置中填写其 URL。"),
    "remotes.no_deploy_key": (
        "An SSH remote needs a deploy key: generate one in the project settings and add it "
        "to the repository on the forge.",
        "SSH 远程仓库需要部署密钥：请在项目设置中生成一个，并将其添加到代码托管平台上的仓库。"),
    "remotes.deploy_key_needs_ssh": (
        "A deploy key works over SSH only: use an ssh:// or git@host:path address.",
        "部署密钥只能通过 SSH 使用：请使用 ssh:// 或 git@host:path 地址。"),
    "remotes.ssh_needs_deploy_key": (
        "An SSH address needs a deploy key: choose “Deploy key (SSH)”.",
        "SSH 地址需要部署密钥：请选择“部署密钥（SSH）”。"),
    "remotes.forge_invalid": ("Unknown forge type.", "未知的代码托管平台类型。"),
    "remotes.username_invalid": (
        "The user name may only contain letters, digits and . _ @ + -",
        "用户名只能包含字母、数字和 . _ @ + -"),
    "remotes.token_empty": ("Please enter the access token.", "请输入访问令牌。"),
    "remotes.token_too_long": ("That token is too long.", "该令牌过长。"),
    "remotes.token_bad_characters": (
        "The token must not contain spaces or control characters.",
        "令牌不能包含空格或控制字符。"),
    # network git
    "remotes.failed": ("The remote operation failed.", "远程操作失败。"),
    "remotes.timeout": ("The remote took too long to answer; nothing was changed.",
                        "远程仓库响应超时；未做任何更改。"),
    "remotes.unreachable": ("The remote's host could not be reached.",
                            "无法连接到远程仓库所在的主机。"),
    "remotes.not_found": ("The remote says there is no such repository (or the credential "
                          "may not see it).", "远程仓库不存在（或该凭据无权访问）。"),
    "remotes.remote_branch_missing": ("The remote has no such branch.",
                                      "远程仓库中没有该分支。"),
    "remotes.auth_failed": (
        "The remote refused the access token. Check that it is valid, not expired, and "
        "allowed to read and write this repository.",
        "远程仓库拒绝了访问令牌。请检查它是否有效、未过期，并且有权读写此仓库。"),
    "remotes.key_refused": (
        "The remote refused the deploy key. Add the public key shown in the project "
        "settings to the repository on the forge (with write access to push).",
        "远程仓库拒绝了部署密钥。请把项目设置中显示的公钥添加到代码托管平台上的仓库"
        "（推送需要写权限）。"),
    "remotes.host_key_changed": (
        "The remote's SSH host key has changed, so clawweb refused to connect: it may be a "
        "man-in-the-middle. Pinned: {pinned}; offered now: {offered}. If the forge really "
        "changed its key, verify the new fingerprint and use “Forget host key” in the "
        "project settings.",
        "远程仓库的 SSH 主机密钥已改变，clawweb 已拒绝连接：这可能是中间人攻击。已固定："
        "{pinned}；现在提供的：{offered}。如果代码托管平台确实更换了密钥，请核实新指纹，"
        "然后在项目设置中使用“忘记主机密钥”。"),
    "remotes.host_key_unknown": (
        "The remote did not show the SSH host key pinned for it ({pinned}), so clawweb "
        "refused to connect. If the forge really changed its key, verify it and use "
        "“Forget host key” in the project settings.",
        "远程仓库没有出示为其固定的 SSH 主机密钥（{pinned}），clawweb 已拒绝连接。如果代码"
        "托管平台确实更换了密钥，请核实后在项目设置中使用“忘记主机密钥”。"),
    # push and sync
    "remotes.push_rejected": (
        "The remote branch has commits that are not here (someone else pushed). Sync "
        "first; clawweb never force-pushes.",
        "远程分支上有本地没有的提交（有人推送过）。请先同步；clawweb 从不强制推送。"),
    "remotes.push_refused": ("The remote refused the push: {reason}",
                             "远程仓库拒绝了推送：{reason}"),
    "remotes.nothing_to_push": ("There is no branch to push.", "没有可推送的分支。"),
    "remotes.task_not_finished": ("Wait until the task has finished.", "请等待任务结束。"),
    "remotes.sync_updated": ("Synced: the default branch now matches the remote.",
                             "已同步：默认分支现在与远程仓库一致。"),
    "remotes.sync_up_to_date": ("Already up to date with the remote.",
                                "已与远程仓库保持最新。"),
    "remotes.sync_ahead": (
        "The default branch has commits the remote does not have yet: push it.",
        "默认分支上有远程仓库还没有的提交：请推送。"),
    "remotes.sync_diverged": (
        "The default branch and the remote have both moved on; nothing was changed here. "
        "Merge or rebase on the forge, then sync again.",
        "默认分支和远程仓库都有新的提交；此处未做任何更改。请在代码托管平台上合并或变基后"
        "再次同步。"),
    # pull requests
    "remotes.pr_exists": ("A pull request is already open for this task.",
                          "此任务已经有一个打开的拉取请求。"),
    "remotes.pr_busy": ("A pull request is being opened for this task right now.",
                        "正在为此任务打开拉取请求。"),
    "remotes.pr_none": ("This task has no pull request.", "此任务没有拉取请求。"),
    "remotes.pr_title": ("Task #{id}: {title}", "任务 #{id}：{title}"),
    # forges
    "forges.unknown": (
        "clawweb cannot tell which forge runs at {host}: choose GitHub, GitLab or "
        "Gitea/Forgejo in the project settings.",
        "clawweb 无法判断 {host} 上运行的是哪种代码托管平台：请在项目设置中选择 GitHub、"
        "GitLab 或 Gitea/Forgejo。"),
    "forges.token_required": (
        "Opening a pull request needs the project's access token (set it in the project "
        "settings).", "打开拉取请求需要项目的访问令牌（请在项目设置中设置）。"),
    "forges.repo_path_invalid": ("“{path}” is not an owner/name repository path.",
                                 "“{path}”不是 owner/name 形式的仓库路径。"),
    "forges.auth_failed": ("The forge refused the access token.", "代码托管平台拒绝了访问令牌。"),
    "forges.not_found": ("The forge does not know this repository (or the token cannot "
                         "see it).", "代码托管平台上没有此仓库（或令牌无权访问）。"),
    "forges.rejected": ("The forge refused: {reason}", "代码托管平台拒绝了：{reason}"),
    "forges.failed": ("The forge answered with an error ({status}).",
                      "代码托管平台返回了错误（{status}）。"),
    "forges.unreachable": ("The forge could not be reached.", "无法连接到代码托管平台。"),
    "forges.timeout": ("The forge took too long to answer.", "代码托管平台响应超时。"),
    "forges.redirect_refused": (
        "The forge answered with a redirect, which clawweb does not follow (the token would "
        "go with it). Set the API URL in the project settings.",
        "代码托管平台返回了重定向，clawweb 不会跟随（令牌会随之发送）。请在项目设置中设置 API "
        "URL。"),
    "forges.bad_response": ("The forge's answer could not be read.", "无法读取代码托管平台的回复。"),
    # project settings: Remote section
    "ui_remotes.section": ("Remote", "远程仓库"),
    "ui_remotes.url": ("Remote URL", "远程仓库 URL"),
    "ui_remotes.signs_in_with": ("Signs in with", "登录方式"),
    "ui_remotes.url_hint": (
        "Where work is pushed and synced from: https://host/owner/repo.git, or over SSH "
        "git@host:owner/repo.git. Never put a password or token in the URL.",
        "工作推送到这里并从这里同步：https://host/owner/repo.git，或通过 SSH "
        "git@host:owner/repo.git。切勿在 URL 中填写密码或令牌。"),
    "ui_remotes.forge": ("Forge", "代码托管平台"),
    "ui_remotes.forge_auto": ("Guess from the host", "根据主机自动判断"),
    "ui_remotes.forge_hint": (
        "For pull requests. github.com, gitlab.com, gitea.com and codeberg.org are "
        "recognised; choose for a self-hosted GitLab or Gitea/Forgejo.",
        "用于拉取请求。可识别 github.com、gitlab.com、gitea.com 和 codeberg.org；自建的 GitLab "
        "或 Gitea/Forgejo 请手动选择。"),
    "ui_remotes.api_url": ("API URL (optional)", "API URL（可选）"),
    "ui_remotes.api_url_hint": (
        "Leave empty to derive it from the remote URL (…/api/v4 for GitLab, …/api/v1 for "
        "Gitea/Forgejo, api.github.com for GitHub).",
        "留空则根据远程 URL 推导（GitLab 为 …/api/v4，Gitea/Forgejo 为 …/api/v1，GitHub 为 "
        "api.github.com）。"),
    "ui_remotes.token_username": ("HTTPS user name (optional)", "HTTPS 用户名（可选）"),
    "ui_remotes.token_username_hint": (
        "Sent with the token over HTTPS; empty uses the forge's usual one.",
        "通过 HTTPS 与令牌一起发送；留空则使用平台的常用值。"),
    "ui_remotes.sync_before_task": ("Sync from the remote before each task",
                                    "每个任务开始前从远程仓库同步"),
    "ui_remotes.saved": ("Remote saved.", "远程仓库已保存。"),
    "ui_remotes.token": ("Access token", "访问令牌"),
    "ui_remotes.token_intro": (
        "Used to clone and push over HTTPS and to open pull requests. Stored encrypted; it "
        "never reaches a task, a log or this page again.",
        "用于通过 HTTPS 克隆和推送，以及打开拉取请求。加密保存；它不会再出现在任务、日志或此"
        "页面中。"),
    "ui_remotes.token_stored": ("Token stored", "已保存令牌"),
    "ui_remotes.token_none": ("No token stored.", "未保存令牌。"),
    "ui_remotes.token_placeholder": ("Paste the access token", "粘贴访问令牌"),
    "ui_remotes.token_save": ("Save token", "保存令牌"),
    "ui_remotes.token_saved": ("Token saved.", "令牌已保存。"),
    "ui_remotes.token_deleted": ("Token removed.", "令牌已删除。"),
    "ui_remotes.token_delete_title": ("Remove the access token?", "删除访问令牌？"),
    "ui_remotes.token_delete_body": (
        "Pushing over HTTPS and opening pull requests stop working until a new one is saved.",
        "在保存新令牌之前，通过 HTTPS 推送和打开拉取请求将无法使用。"),
    "ui_remotes.remove": ("Remove", "删除"),
    "ui_remotes.key": ("Deploy key (SSH)", "部署密钥（SSH）"),
    "ui_remotes.key_intro": (
        "For SSH remotes. clawweb keeps the private key encrypted; add this public key to the "
        "repository on the forge (with write access to push).",
        "用于 SSH 远程仓库。clawweb 加密保存私钥；请把此公钥添加到代码托管平台上的仓库（推送需要"
        "写权限）。"),
    "ui_remotes.key_generate": ("Generate deploy key", "生成部署密钥"),
    "ui_remotes.key_generated": ("Deploy key generated: add the public key to the forge.",
                                 "已生成部署密钥：请把公钥添加到代码托管平台。"),
    "ui_remotes.key_deleted": ("Deploy key removed.", "部署密钥已删除。"),
    "ui_remotes.key_replace": ("Replace key", "更换密钥"),
    "ui_remotes.key_replace_title": ("Replace the deploy key?", "更换部署密钥？"),
    "ui_remotes.key_replace_body": (
        "The old key stops working here; add the new public key to the forge.",
        "旧密钥将在此失效；请把新公钥添加到代码托管平台。"),
    "ui_remotes.key_delete_title": ("Remove the deploy key?", "删除部署密钥？"),
    "ui_remotes.key_delete_body": (
        "SSH pushes and syncs stop working. Remove the key from the forge too.",
        "SSH 推送和同步将无法使用。也请从代码托管平台删除该密钥。"),
    "ui_remotes.fingerprint": ("Fingerprint", "指纹"),
    "ui_remotes.copy": ("Copy public key", "复制公钥"),
    "ui_remotes.host_keys": ("SSH host key", "SSH 主机密钥"),
    "ui_remotes.host_keys_intro": (
        "Pinned on first use: clawweb refuses to connect if the server shows another key. "
        "Compare it with the fingerprint your forge publishes.",
        "首次使用时固定：如果服务器出示其他密钥，clawweb 会拒绝连接。请与代码托管平台公布的指纹"
        "核对。"),
    "ui_remotes.host_keys_none": (
        "No host key pinned yet: the first SSH connection pins it and shows it here.",
        "尚未固定主机密钥：第一次 SSH 连接时会固定并在此显示。"),
    "ui_remotes.host_forget": ("Forget host key", "忘记主机密钥"),
    "ui_remotes.host_forget_title": ("Forget the pinned host key?", "忘记已固定的主机密钥？"),
    "ui_remotes.host_forget_body": (
        "Only do this when the forge announced a new key. The next connection pins whatever "
        "key the server shows.",
        "仅在代码托管平台宣布更换密钥时才这样做。下一次连接会固定服务器出示的任何密钥。"),
    "ui_remotes.host_forgotten": ("Host key forgotten.", "已忘记主机密钥。"),
    "ui_remotes.sync": ("Sync from remote", "从远程仓库同步"),
    "ui_remotes.sync_intro": (
        "Fetches the default branch and fast-forwards the project to it. Work that is only "
        "here is never overwritten.",
        "获取默认分支并将项目快进到该分支。只存在于此处的工作永远不会被覆盖。"),
    "ui_remotes.sync_now": ("Sync now", "立即同步"),
    "ui_remotes.last_sync": ("Last sync:", "上次同步："),
    "ui_remotes.details": ("Details", "详情"),
    "ui_remotes.private": ("Private repository?", "私有仓库？"),
    "ui_remotes.private_public": ("No, it is public", "不是，它是公开的"),
    "ui_remotes.private_token": ("Yes, with an access token (HTTPS)", "是，使用访问令牌（HTTPS）"),
    "ui_remotes.private_key": ("Yes, with a deploy key (SSH)", "是，使用部署密钥（SSH）"),
    "ui_remotes.private_hint": (
        "With a deploy key the project starts empty: add the key shown in its settings to the "
        "forge, then press “Sync now”.",
        "使用部署密钥时项目一开始是空的：把其设置中显示的密钥添加到代码托管平台，然后点击“立即"
        "同步”。"),
    # task page: Ship section
    "ui_ship.title": ("Ship", "交付"),
    "ui_ship.remote": ("Remote", "远程仓库"),
    "ui_ship.no_remote": ("This project has no remote: an owner can set one in the project "
                          "settings.", "此项目没有远程仓库：所有者可以在项目设置中设置。"),
    "ui_ship.no_branch": ("This task has no branch to ship.", "此任务没有可交付的分支。"),
    "ui_ship.push": ("Push branch", "推送分支"),
    "ui_ship.push_default": ("Push default branch", "推送默认分支"),
    "ui_ship.open_pr": ("Open pull request", "打开拉取请求"),
    "ui_ship.pushed": ("Branch pushed.", "分支已推送。"),
    "ui_ship.pushed_default": ("Default branch pushed.", "默认分支已推送。"),
    "ui_ship.pushed_as": ("pushed {sha}", "已推送 {sha}"),
    "ui_ship.pr_opened": ("Pull request opened.", "已打开拉取请求。"),
    "ui_ship.refreshed": ("Pull request state updated.", "拉取请求状态已更新。"),
    "ui_ship.refresh": ("Refresh state", "刷新状态"),
    "ui_ship.pr_link": ("Pull request #{number}", "拉取请求 #{number}"),
    "ui_ship.pr_open": ("open", "打开"),
    "ui_ship.pr_merged": ("merged", "已合并"),
    "ui_ship.pr_closed": ("closed", "已关闭"),
    "ui_ship.pr_opening": ("opening…", "正在打开…"),
    "ui_ship.not_allowed": (
        "Only project owners (and editors, when the project allows it) can push or open pull "
        "requests.", "只有项目所有者（以及项目允许时的编辑者）可以推送或打开拉取请求。"),
}
