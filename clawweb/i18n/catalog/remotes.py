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
}
