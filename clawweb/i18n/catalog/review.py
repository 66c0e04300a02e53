MESSAGES = {
    # -- errors and service messages --------------------------------------------------
    "review.path_invalid": ("That is not a path inside the repository.", "这不是仓库内的路径。"),
    "review.not_found": ("No such file on this branch.", "此分支上没有该文件。"),
    "review.ref_missing": ("The branch “{ref}” does not exist (or has no commits).",
                           "分支“{ref}”不存在（或没有提交）。"),
    "review.ship_forbidden": (
        "Your role on this project does not allow merging, discarding or downloading.",
        "你在此项目中的角色不允许合并、丢弃或下载。"),
    "review.not_finished": (
        "The task (or a follow-up on its branch) has not finished yet.",
        "任务（或其分支上的后续任务）尚未结束。"),
    "review.no_branch": ("This task has no branch to ship (nothing was committed, or it was "
                         "discarded).", "此任务没有可交付的分支（没有提交，或已被丢弃）。"),
    "review.branch_moved": (
        "The branch “{branch}” changed since you looked at it; reload and review again.",
        "分支“{branch}”在你查看之后发生了变化；请刷新后重新审阅。"),
    "review.target_moved": (
        "“{branch}” moved while merging; nothing was changed. Reload and try again.",
        "合并时“{branch}”已变化；未做任何更改。请刷新后重试。"),
    "review.already_merged": ("This work is already on the default branch.",
                              "这些改动已在默认分支上。"),
    "review.not_fast_forward": (
        "“{branch}” has new commits, so a fast-forward is not possible; use a merge commit "
        "or squash.", "“{branch}”有新的提交，无法快进；请使用合并提交或压缩合并。"),
    "review.unrelated": ("The branch shares no history with the default branch.",
                         "该分支与默认分支没有共同历史。"),
    "review.strategy_invalid": ("Choose fast-forward, merge commit or squash.",
                                "请选择快进、合并提交或压缩合并。"),
    "review.ship_role_invalid": ("Choose owners only, or owners and editors.",
                                 "请选择仅所有者，或所有者和编辑者。"),
    "review.conflict": ("The branch conflicts with the default branch in {count} file(s).",
                        "该分支与默认分支在 {count} 个文件中存在冲突。"),
    "review.no_conflict": ("The branch now merges cleanly; nothing to resolve.",
                           "该分支现在可以干净地合并；无需解决冲突。"),
    "review.nothing_to_export": ("The branch adds nothing to download.",
                                 "该分支没有可下载的改动。"),
    "review.resolve_prompt": (
        "Rebase this branch onto origin/{branch} and resolve the merge conflicts in: "
        "{files}. Keep the intent of both sides, make sure the project still builds and its "
        "tests pass, and commit the result.",
        "将此分支变基到 origin/{branch} 上，并解决以下文件中的合并冲突：{files}。保留双方的意图，"
        "确保项目仍能构建且测试通过，然后提交结果。"),
}
