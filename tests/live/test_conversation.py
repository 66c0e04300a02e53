"""Folding agent.* events into bounded view items (clawweb.live.conversation)."""

from __future__ import annotations

from clawweb.live import conversation as conv
from clawweb.live import tool_input
from clawweb.streams import Event


def _events(*pairs):
    return [Event(seq=i + 1, type=t, data=d) for i, (t, d) in enumerate(pairs)]


def _fold(*pairs, limit=conv.MAX_ITEMS):
    c = conv.Conversation(limit=limit)
    c.add_all(_events(*pairs))
    return c


def test_deltas_stream_then_final_text_supersedes():
    c = conv.Conversation()
    # As the worker writes them: every delta carries its own stream-event id.
    c.add_all(_events(("agent.text_delta", {"message_id": "u1", "index": 0, "text": "Hel"}),
                      ("agent.text_delta", {"message_id": "u2", "index": 0, "text": "lo"})))
    assert [(i["kind"], i["text"], i["streaming"]) for i in c.items] == [("text", "Hello", True)]
    c.add(Event(seq=3, type="agent.text", data={"message_id": "x", "text": "Hello **world**"}))
    assert [(i["text"], i["streaming"]) for i in c.items] == [("Hello **world**", False)]


def test_an_unfinished_stream_stops_typing_at_the_next_tool_call():
    c = _fold(("agent.text_delta", {"message_id": "u1", "index": 0, "text": "Let me"}),
              ("agent.tool_use", {"id": "t", "name": "Bash", "input": {"command": "ls"}}),
              ("agent.text_delta", {"message_id": "u2", "index": 0, "text": "Next"}))
    assert [(i["kind"], i["text"], i["streaming"]) for i in c.items] == [
        ("text", "Let me", False), ("tool", "", False), ("text", "Next", True)]


def test_tool_card_lifecycle_and_summary():
    c = _fold(("agent.tool_use", {"id": "t1", "name": "Bash", "input": {"command": "ls -la"}}),
              ("agent.tool_result", {"id": "t1", "is_error": False, "content": "a\nb"}),
              ("agent.tool_use", {"id": "t2", "name": "Grep", "input": {"pattern": "foo"}}),
              ("agent.tool_result", {"id": "t2", "is_error": True, "content": "boom"}))
    tools = [i for i in c.items if i["kind"] == "tool"]
    assert [(t["name"], t["summary"], t["status"], t["result"]) for t in tools] == [
        ("Bash", "ls -la", "done", "a\nb"), ("Grep", "foo", "error", "boom")]


def test_replayed_events_are_not_folded_twice():
    evs = _events(("agent.text", {"text": "one"}))
    c = conv.Conversation()
    c.add_all(evs)
    c.add_all(evs)
    assert len(c.items) == 1


def test_approval_denied_marks_the_card_and_adds_a_notice():
    c = _fold(("agent.tool_use", {"id": "t1", "name": "Bash", "input": {"command": "rm -rf /"}}),
              ("agent.approval", {"approval_id": 7, "tool_use_id": "t1", "tool": "Bash"}))
    assert c.items[0]["status"] == "waiting"
    c.add(Event(seq=3, type="agent.approval_answer",
                data={"approval_id": 7, "decision": "deny", "message": "no way"}))
    c.add(Event(seq=4, type="agent.tool_result", data={"id": "t1", "is_error": True,
                                                       "content": "denied"}))
    assert c.items[0]["status"] == "denied"
    assert (c.items[1]["kind"], c.items[1]["name"], c.items[1]["text"]) == (
        "notice", "approval.deny", "no way")


def test_edit_becomes_a_small_diff_and_todos_a_checklist():
    c = _fold(("agent.tool_use", {"id": "e", "name": "Edit", "input": {
                  "file_path": "/w/a.py", "old_string": "x = 1\n", "new_string": "x = 2\n"}}),
              ("agent.tool_use", {"id": "t", "name": "TodoWrite", "input": {"todos": [
                  {"content": "a", "status": "completed"}, {"content": "b", "status": "weird"}]}}))
    edit, todo = c.items
    assert edit["summary"] == "/w/a.py"
    assert {"sign": "-", "text": "x = 1"} in edit["diff"]
    assert {"sign": "+", "text": "x = 2"} in edit["diff"]
    assert todo["todos"] == [{"content": "a", "status": "completed"},
                             {"content": "b", "status": "pending"}]


def test_items_and_sizes_are_bounded():
    pairs = [("agent.text", {"text": f"t{i}"}) for i in range(30)]
    pairs.append(("agent.tool_use", {"id": "big", "name": "Bash", "input": {"command": "x"}}))
    pairs.append(("agent.tool_result", {"id": "big", "content": "y" * 100_000}))
    c = _fold(*pairs, limit=10)
    assert len(c.items) == 10 and c.has_earlier and c.dropped == 21
    assert c.items[0]["text"] == "t21"
    assert len(c.items[-1]["result"]) < conv.RESULT_CAP + 100 and c.items[-1]["truncated"]
    assert len(tool_input.diff_lines("Write", {"content": "l\n" * 10_000})) <= tool_input.DIFF_LINES + 1


def test_result_for_a_paged_out_tool_is_ignored():
    c = _fold(("agent.tool_use", {"id": "old", "name": "Bash", "input": {}}),
              ("agent.text", {"text": "a"}), ("agent.text", {"text": "b"}),
              ("agent.tool_result", {"id": "old", "content": "late"}), limit=2)
    assert [i["text"] for i in c.items] == ["a", "b"]


def test_usage_result_and_stats():
    c = _fold(("agent.init", {"model": "claude-x"}),
              ("agent.usage", {"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.01,
                               "turns": 1}),
              ("agent.result", {"subtype": "success", "is_error": False, "turns": 2,
                                "cost_usd": 0.02, "duration_ms": 65_000, "result": "Done."}))
    assert c.stats == {"model": "claude-x", "turns": 2, "input_tokens": 10, "output_tokens": 5,
                       "cost_usd": 0.02}
    assert (c.items[-1]["kind"], c.items[-1]["text"], c.items[-1]["summary"]) == (
        "result", "Done.", "1:05")


def test_hostile_markdown_is_kept_as_text_and_never_rendered_as_html():
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>[x](javascript:alert(3))'
    c = _fold(("agent.text", {"text": hostile}))
    assert c.items[0]["text"] == hostile  # kept verbatim: the renderer makes it inert
    from clawweb.components.conversation import markdown_block

    js = str(markdown_block("x").render())
    # rx.markdown renders raw HTML by default (rehype-raw); ours must not.
    assert "rehypeRaw" not in js and "rehype-raw" not in js


def test_result_repeating_the_last_message_is_shown_once():
    c = _fold(("agent.text", {"text": "All done."}),
              ("agent.result", {"subtype": "success", "result": "All done.\n"}))
    assert [(i["kind"], i["text"]) for i in c.items] == [("text", "All done."), ("result", "")]


# -- what the egress proxy reports ---------------------------------------------------

def _notices(c):
    return [(i["name"], i["text"], i["summary"]) for i in c.items if i["kind"] == "notice"]


def _fold_in(lang, *pairs):
    c = conv.Conversation(lang=lang)
    c.add_all(_events(*pairs))
    return c


def test_a_refusal_says_the_host_and_why_in_the_readers_language():
    pairs = (("egress.refused", {"host": "evil.test", "reason": "not_listed"}),
             ("egress.refused", {"host": "api.example.test", "reason": "model_path",
                                 "path": "GET /v1/files"}))
    assert _notices(_fold_in("en", *pairs)) == [
        ("egress", "Blocked network access to evil.test", "not on the project's allowed hosts"),
        ("egress", "Blocked network access to api.example.test",
         "not a model API path (GET /v1/files)")]
    assert _notices(_fold_in("zh", *pairs)) == [
        ("egress", "已阻止访问 evil.test", "不在项目允许访问的主机列表中"),
        ("egress", "已阻止访问 api.example.test", "不是模型 API 路径 (GET /v1/files)")]


def test_every_refusal_reason_the_proxy_sends_has_a_text():
    for reason in ("not_listed", "bad_target", "host_mismatch", "private_address",
                   "model_path"):
        for lang in ("en", "zh"):
            (notice,) = _notices(_fold_in(lang, ("egress.refused", {"host": "h.test",
                                                                    "reason": reason})))
            assert notice[2] and not notice[2].startswith("egress."), (reason, lang)


def test_a_rate_limited_summary_says_how_many_more():
    pair = ("egress.refused", {"host": "h9.evil.test", "reason": "not_listed", "more": 295})
    assert _notices(_fold_in("en", pair)) == [
        ("egress", "Blocked network access to h9.evil.test and 295 more",
         "not on the project's allowed hosts")]
    assert _notices(_fold_in("zh", pair))[0][1] == "已阻止访问 h9.evil.test，另有 295 次"


def test_an_unknown_reason_or_odd_values_show_no_detail_and_no_key():
    c = _fold_in("en", ("egress.refused", {"host": "h.test", "reason": "{bogus}", "more": "x"}),
                 ("egress.refused", {"host": None}))
    assert _notices(c) == [("egress", "Blocked network access to h.test", ""),
                           ("egress", "Blocked network access to ", "")]


def test_the_budget_stop_says_what_was_spent_of_what():
    pair = ("agent.budget_stopped", {"spent_usd": 3.004917, "budget_usd": 2.0})
    assert _notices(_fold_in("en", pair)) == [
        ("budget", "Model calls stopped: $3.00 spent of the $2.00 budget.", "")]
    assert _notices(_fold_in("zh", pair)) == [
        ("budget", "已停止调用模型：已花费 $3.00，预算为 $2.00。", "")]


def test_egress_and_budget_notices_have_their_own_look():
    import reflex as rx

    from clawweb.components.conversation import _item
    from clawweb.state.task_live import TaskLiveState

    js = str(rx.foreach(TaskLiveState.conv_items, _item))
    notice = js[js.index('"conv-notice"'):]
    assert 'case JSON.stringify("egress"):\n      return jsx(LucideShieldBan' in notice
    assert 'case JSON.stringify("budget"):\n      return jsx(LucideWallet' in notice
    # Both texts come folded in the reader's language and are shown as they are; a
    # refusal's reason gets a line of its own, only on egress notices.
    assert 'default:  return (item_rx_state_?.["text"])' in notice
    reason = notice[:notice.index('"conv-egress-reason"')]
    assert reason[reason.rindex("pyAnd("):].startswith(
        'pyAnd((item_rx_state_?.["name"]?.valueOf?.() === "egress"?.valueOf?.())')


def test_a_request_that_ended_with_its_task_leaves_no_waiting_card():
    ask = ("agent.approval", {"approval_id": 7, "tool_use_id": "t1", "tool": "Bash"})
    use = ("agent.tool_use", {"id": "t1", "name": "Bash", "input": {"command": "ls"}})
    withdrawn = _fold(use, ask, ("agent.approval_answer",
                                 {"approval_id": 7, "decision": "withdrawn", "message": ""}),
                      # the CLI's own "interrupted" result for the call it never ran
                      ("agent.tool_result", {"id": "t1", "is_error": True, "content": "x"}))
    assert withdrawn.items[0]["status"] == "withdrawn"
    assert [i["name"] for i in withdrawn.items if i["kind"] == "notice"] == ["approval.withdrawn"]
    ended = _fold(use, ask, ("status", {"status": "cancelled", "reason": "", "exit_code": None}))
    assert ended.items[0]["status"] == "withdrawn"


def test_an_interrupted_turn_does_not_read_as_an_error():
    c = _fold(("agent.result", {"subtype": "error_during_execution", "is_error": True,
                                "turns": 1, "cost_usd": 0.01}),
              ("status", {"status": "interrupted", "reason": "", "exit_code": 130}))
    (result,) = [i for i in c.items if i["kind"] == "result"]
    assert (result["is_error"], result["name"]) == (False, "interrupted")


def test_a_call_that_ran_without_asking_says_why_in_the_readers_language():
    why = ("agent.tool_why", {"tool_use_id": "t1",
                              "why": {"key": "approvals.why.rule", "params": {"rule": "Bash(ls)"}}})
    use = ("agent.tool_use", {"id": "t1", "name": "Bash", "input": {"command": "ls"}})
    for order in ((why, use), (use, why)):  # the hook may run before the card exists
        c = _fold(*order)
        assert "Bash(ls)" in c.items[0]["why"] and "rule" in c.items[0]["why"]
    zh = conv.Conversation(lang="zh")
    zh.add_all(_events(use, ("agent.tool_why", {"tool_use_id": "t1", "why": {
        "key": "approvals.why.read_only", "params": {}}})))
    assert zh.items[0]["why"] and "read-only" not in zh.items[0]["why"]


def test_a_mode_note_gives_way_to_a_request_raised_anyway():
    c = _fold(("agent.tool_use", {"id": "t1", "name": "Bash", "input": {"command": "rm x"}}),
              ("agent.tool_why", {"tool_use_id": "t1", "why": {
                  "key": "approvals.why.mode", "params": {"mode": "acceptEdits"}}}),
              ("agent.approval", {"approval_id": 1, "tool_use_id": "t1", "tool": "Bash"}))
    assert (c.items[0]["status"], c.items[0]["why"]) == ("waiting", "")


def test_a_stored_stop_reason_is_shown_in_words():
    c = conv.Conversation(lang="en")
    c.add_all(_events(("agent.stopped", {"reason": '{"key": "agents.interrupted", "params": {}}'})))
    (notice,) = c.items
    assert "Interrupted" in notice["text"] and "agents.interrupted" not in notice["text"]
def test_the_agents_stop_reason_is_shown_in_the_readers_language():
    from clawweb.i18n import stored

    pair = ("agent.stopped", {"reason": stored.encode("agents.max_turns_reached", turns=3)})
    assert _notices(_fold_in("en", pair)) == [
        ("stopped", "Stopped: the agent reached the limit of 3 turns.", "")]
    (zh,) = _notices(_fold_in("zh", pair))
    assert zh[0] == "stopped" and "3" in zh[1] and "Stopped" not in zh[1]
    # A reason written as text before reasons were keys shows as it was.
    assert _notices(_fold_in("zh", ("agent.stopped", {"reason": "old words"}))) == [
        ("stopped", "old words", "")]


def test_a_tool_diff_shows_no_hunk_header_noise():
    # The card's numbers would count lines of the snippet, not of the file: a
    # header reads as noise ("@ @@ -0,0 +1 @@"); hunks are only set apart.
    assert tool_input.diff_lines("Write", {"content": "hello\n"}) == [{"sign": "+", "text": "hello"}]
    old = "\n".join(f"line {i}" for i in range(20))
    new = old.replace("line 1\n", "line one\n").replace("line 18", "line eighteen")
    rows = tool_input.diff_lines("Edit", {"old_string": old, "new_string": new})
    assert not [r for r in rows if "@@" in r["text"] or r["sign"] == "@"]
    assert [r["sign"] for r in rows].count("…") == 1  # between the two hunks
    assert {"sign": "+", "text": "line one"} in rows and {"sign": "-", "text": "line 18"} in rows


def test_a_plans_card_keeps_the_plan_after_it_is_answered():
    # prompt-c: ExitPlanMode's own input is empty; the worker's request carries the plan.
    c = _fold(("agent.tool_use", {"id": "t1", "name": "ExitPlanMode", "input": {}}),
              ("agent.approval", {"approval_id": 1, "tool_use_id": "t1", "tool": "ExitPlanMode",
                                  "input": {"plan": "# Plan\n1. do it"}}),
              ("agent.approval_answer", {"approval_id": 1, "decision": "allow", "message": ""}))
    assert c.items[0]["summary"] == "# Plan\n1. do it" and c.items[0]["status"] == "running"


def test_a_tool_call_cut_off_by_an_interrupt_no_longer_reads_running():
    use = ("agent.tool_use", {"id": "t1", "name": "Bash", "input": {"command": "sleep 60"}})
    done = ("agent.tool_use", {"id": "t0", "name": "Read", "input": {"file_path": "a"}})
    result = ("agent.tool_result", {"id": "t0", "is_error": False, "content": "ok"})
    c = _fold(done, result, use, ("status", {"status": "interrupted", "reason": "",
                                             "exit_code": 130}))
    assert [i["status"] for i in c.items if i["kind"] == "tool"] == ["done", "interrupted"]
    # The CLI's own answer for the call it cut off is no tool error either.
    cli = _fold(use, ("agent.tool_result", {"id": "t1", "is_error": True, "content":
                                            "[Request interrupted by user for tool use]"}))
    assert (cli.items[0]["status"], cli.items[0]["is_error"]) == ("interrupted", False)


def test_a_tool_call_still_open_when_the_task_ended_reads_not_finished():
    use = ("agent.tool_use", {"id": "t1", "name": "Bash", "input": {"command": "sleep 60"}})
    for status in ("cancelled", "failed", "succeeded"):
        c = _fold(use, ("status", {"status": status, "reason": "", "exit_code": None}))
        assert c.items[0]["status"] == "unfinished", status
