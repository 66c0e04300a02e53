"""The task page's usage facts: this turn's and the whole conversation's, labelled apart."""

from types import SimpleNamespace

from clawweb.state import task_conversation as claude


def _live(chain):
    return SimpleNamespace(conv_model="", conv_turns=0, conv_tokens="", conv_cost="",
                           conv_total_tokens="", conv_total_cost="", _task_id=3,
                           _chain_usage=chain)


def test_a_finished_follow_up_shows_its_metered_turn_and_the_conversation_sum():
    chain = [{"id": 1, "input_tokens": 100, "output_tokens": 20, "cost_usd": 0.0256},
             {"id": 2, "input_tokens": 120, "output_tokens": 30, "cost_usd": 0.0064},
             {"id": 3, "input_tokens": 150, "output_tokens": 40, "cost_usd": 0.0064}]
    live = _live(chain)
    stats = {"model": "m", "turns": 1, "input_tokens": 150, "output_tokens": 40,
             "cost_usd": 0.0384}  # the CLI's session-cumulative report
    detail = {**chain[2], "finished": True, "turns": 1, "model": "m"}
    claude.show_stats(live, stats, detail)
    assert (live.conv_tokens, live.conv_cost) == ("150 / 40", "$0.0064")
    assert (live.conv_total_tokens, live.conv_total_cost) == ("370 / 90", "$0.0384")


def test_a_single_turn_has_no_separate_conversation_total():
    live = _live([{"id": 3, "input_tokens": 1, "output_tokens": 1, "cost_usd": 0.001}])
    claude.show_stats(live, {}, {"id": 3, "input_tokens": 1, "output_tokens": 1,
                                 "cost_usd": 0.001, "finished": True})
    assert live.conv_total_tokens == "" and live.conv_total_cost == ""
