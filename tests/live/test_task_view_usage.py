"""The task page's usage facts: this turn's and the whole conversation's, labelled apart."""

from clawweb.live import task_view

CHAIN = [{"id": 1, "input_tokens": 100, "output_tokens": 20, "cost_usd": 0.0256},
         {"id": 2, "input_tokens": 120, "output_tokens": 30, "cost_usd": 0.0064},
         {"id": 3, "input_tokens": 150, "output_tokens": 40, "cost_usd": 0.0064}]


def test_a_finished_follow_up_shows_its_metered_turn_and_the_conversation_sum():
    stats = {"model": "m", "turns": 1, "input_tokens": 150, "output_tokens": 40,
             "cost_usd": 0.0384}  # the CLI's session-cumulative report
    detail = {**CHAIN[2], "finished": True, "turns": 1, "model": "m"}
    view = task_view.conv_stats(stats, detail, CHAIN)
    assert (view["conv_tokens"], view["conv_cost"]) == ("150 / 40", "$0.0064")
    assert (view["conv_total_tokens"], view["conv_total_cost"]) == ("370 / 90", "$0.0384")


def test_a_single_turn_has_no_separate_conversation_total():
    row = {"id": 3, "input_tokens": 1, "output_tokens": 1, "cost_usd": 0.001, "finished": True}
    view = task_view.conv_stats({}, row, [row])
    assert view["conv_total_tokens"] == "" and view["conv_total_cost"] == ""


def test_the_thread_rows_reach_the_state_with_their_usage():
    extra = {"approvals": [], "before": CHAIN[:2], "after": [], "usage": CHAIN}
    assert task_view.extra_view(extra)["_chain_usage"] == CHAIN
