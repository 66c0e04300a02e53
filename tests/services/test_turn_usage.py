"""One turn's usage and the whole conversation's agree (issue 9, defect 6)."""

from clawweb.services import turn_usage


def test_a_follow_up_shows_its_own_turn_and_the_sum_of_all():
    turns = [{"id": 1, "input_tokens": 100, "output_tokens": 20, "cost_usd": 0.0256},
             {"id": 2, "input_tokens": 120, "output_tokens": 30, "cost_usd": 0.0064},
             {"id": 3, "input_tokens": 150, "output_tokens": 40, "cost_usd": 0.0064}]
    # The CLI's own (session-cumulative) cost in the live totals is not what a
    # finished turn shows: its row (the metered cost) is.
    live = {"input_tokens": 150, "output_tokens": 40, "cost_usd": 0.0384}
    this = turn_usage.turn(live=live, row=turns[2], finished=True)
    assert turn_usage.labels(this) == ("150 / 40", "$0.0064")
    total = turn_usage.conversation(turns=turns, current_id=3, this_turn=this)
    assert turn_usage.labels(total) == ("370 / 90", "$0.0384")


def test_a_running_turn_counts_its_live_totals_once():
    turns = [{"id": 1, "input_tokens": 100, "output_tokens": 20, "cost_usd": 0.01},
             {"id": 2, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0}]
    this = turn_usage.turn(live={"input_tokens": 50, "output_tokens": 5, "cost_usd": 0.002},
                           row=turns[1], finished=False)
    total = turn_usage.conversation(turns=turns, current_id=2, this_turn=this)
    assert turn_usage.labels(this) == ("50 / 5", "$0.0020")
    assert turn_usage.labels(total) == ("150 / 25", "$0.0120")


def test_a_turn_without_usage_yet_shows_no_zero_figures():
    """Before the model answered, the facts say "—", not "0 / 0" and "$0.0000"."""
    none = turn_usage.turn(live={}, row={}, finished=False)
    assert turn_usage.labels(none) == ("—", "—")
    tokens_only = {"input_tokens": 12, "output_tokens": 0, "cost_usd": 0.0}
    assert turn_usage.labels(tokens_only) == ("12 / 0", "—")
