MESSAGES = {
    "attachments.attach": ("Attach files", "添加附件"),
    "attachments.uploading": ("Uploading…", "正在上传…"),
    "attachments.remove": ("Remove {name}", "移除 {name}"),
    "attachments.title": ("Attached files", "附件"),
    "attachments.hint#one": (
        "Up to {count} file, {file_mb} MB each, {total_mb} MB in all; "
        "they are put in attachments/ of the working copy.",
        "最多 {count} 个文件，每个 {file_mb} MB，共 {total_mb} MB；文件会放在工作副本的 attachments/ 中。"),
    "attachments.hint#other": (
        "Up to {count} files, {file_mb} MB each, {total_mb} MB in all; "
        "they are put in attachments/ of the working copy.",
        "最多 {count} 个文件，每个 {file_mb} MB，共 {total_mb} MB；文件会放在工作副本的 attachments/ 中。"),
    "attachments.size_bytes#one": ("{count} byte", "{count} 字节"),
    "attachments.size_bytes#other": ("{count} bytes", "{count} 字节"),
    "attachments.size_kb": ("{size} KB", "{size} KB"),
    "attachments.size_mb": ("{size} MB", "{size} MB"),
    "attachments.error.bad_name": (
        "“{name}” cannot be attached: a file name may not be a path or contain control "
        "characters.",
        "无法添加“{name}”：文件名不能是路径，也不能包含控制字符。"),
    "attachments.error.too_many#one": (
        "Too many files: at most {limit} file per task.", "文件太多：每个任务最多 {limit} 个文件。"),
    "attachments.error.too_many#other": (
        "Too many files: at most {limit} files per task.",
        "文件太多：每个任务最多 {limit} 个文件。"),
    "attachments.error.file_too_big": (
        "“{name}” is too big: at most {limit_mb} MB per file.",
        "“{name}”太大：每个文件最多 {limit_mb} MB。"),
    "attachments.error.total_too_big": (
        "The files are too big together: at most {limit_mb} MB per task.",
        "文件总大小超出限制：每个任务最多 {limit_mb} MB。"),
    "attachments.error.store_failed": (
        "The files could not be stored on the server; try again later.",
        "服务器无法保存这些文件，请稍后再试。"),
    "attachments.error.gone": (
        "An attached file is no longer there; attach it again.",
        "某个附件已不存在，请重新添加。"),
    "attachments.error.folder_taken": (
        "The repository has {folder} as a link or a file, so the attachments could not be "
        "put there.",
        "仓库中的 {folder} 是链接或文件，无法放入附件。"),
    "attachments.error.name_taken": (
        "The repository already has {path}; the attachment was not written over it.",
        "仓库中已有 {path}；附件没有覆盖它。"),
    "attachments.error.missing": (
        "The attached file {name} is no longer stored on the server.",
        "附件 {name} 已不在服务器上。"),
}
