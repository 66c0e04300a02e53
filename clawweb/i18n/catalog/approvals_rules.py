"""What an "Always allow" click grants: the rule shown on the card, and the refusals."""

MESSAGES = {
    "approvals.no_rule": (
        "This call cannot be always allowed: no rule names exactly this call. Allow it once "
        "instead.",
        "此调用不能设为始终允许：没有只针对这一调用的规则。请改为允许一次。"),
    "approval_rules.always": ("Always allow: {rule}", "始终允许：{rule}"),
    "approval_rules.none": (
        "No \"Always allow\" for this call: no rule can name exactly this call (chained or "
        "redirected commands, files outside the working copy, wildcards), so it can only be "
        "allowed once.",
        "此调用没有“始终允许”：没有规则能只涵盖这一调用（串联或重定向的命令、工作副本之外的文件、"
        "通配符），因此只能允许一次。"),
}
