"""UI text for a plan Claude proposes in plan mode (the plan card)."""

MESSAGES = {
    "ui_plan.title": ("Claude proposes a plan", "Claude 提出了一个计划"),
    "ui_plan.approve": ("Approve plan", "批准计划"),
    "ui_plan.keep_planning": ("Keep planning", "继续规划"),
    "ui_plan.feedback": ("What should change? (optional, Claude reads it)",
                         "需要修改什么？（可选，Claude 会读到）"),
}
