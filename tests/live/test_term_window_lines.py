"""The terminal window shows lines as a terminal would: CR overwrites, no half line at the top."""

from __future__ import annotations

import html
import re

from clawweb.live.term_window import TermWindow
from clawweb.streams import Event


def _out(seq, text, stream="stdout"):
    return Event(seq=seq, type="output", data={"stream": stream, "text": text})


def _text(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", body))


def _erase(held: list[list]) -> None:
    """What assets/term.js erase() does: clear the shown text back to the last newline."""
    for item in reversed(held):
        k = item[1].rfind("\n")
        if k >= 0:
            item[1] = item[1][:k + 1]
            return
        item[1] = ""


def _screen(ops) -> str:
    """The text a browser applying ``ops`` (as assets/term.js does) shows."""
    held: list[list] = []  # [seq, text]
    for op in ops:
        if op.get("drop_before"):
            held = [h for h in held if h[0] >= op["drop_before"]]
        if op.get("trim_head") and held:
            for item in held:
                k = item[1].find("\n")
                if k >= 0:
                    item[1] = item[1][k + 1:]
                    break
                item[1] = ""
        for chunk in op.get("append", []):
            if len(chunk) > 3 and chunk[3]:
                _erase(held)
            held.append([chunk[0], _text(chunk[2])])
    return "".join(text for _seq, text in held)


def test_progress_lines_in_one_event_overwrite():
    w = TermWindow()
    w.add(_out(1, "10%\r50%\r100%\n"))
    assert _screen([w.flush()]) == "100%\n"
    assert w.line_count == 1


def test_progress_lines_in_separate_events_overwrite_live_and_on_replay():
    pieces = ["start\n", "10%\r", "50%\r", "100%\n", "done\n"]
    live, ops = TermWindow(), []
    for seq, piece in enumerate(pieces, 1):
        live.add(_out(seq, piece))
        ops.append(live.flush())  # each piece reaches the browser on its own
    assert _screen(ops) == "start\n100%\ndone\n"
    replay = TermWindow()  # a reload of the finished task: all history in one op
    for seq, piece in enumerate(pieces, 1):
        replay.add(_out(seq, piece))
    assert _screen([replay.flush()]) == "start\n100%\ndone\n"
    assert live.line_count == replay.line_count == 3


def test_progress_shows_its_newest_state_while_it_runs():
    w, ops = TermWindow(), []
    for seq, piece in enumerate(["10%\r", "50%\r"], 1):
        w.add(_out(seq, piece))
        ops.append(w.flush())
    assert _screen(ops) == "50%"
    assert w.line_count == 1


def test_crlf_split_across_events_keeps_the_line():
    w, ops = TermWindow(), []
    for seq, piece in enumerate(["abc\r", "\nxyz\r\n"], 1):
        w.add(_out(seq, piece))
        ops.append(w.flush())
    assert _screen(ops) == "abc\nxyz\n"


def test_colour_set_before_a_cr_still_applies_after_it():
    from clawweb.live.ansi import resolve_cr

    text, erase, pending = resolve_cr("\x1b[31m10%\r50%", False)
    assert text == "\x1b[31m50%" and erase and not pending


def test_a_trimmed_window_starts_at_a_whole_line():
    w = TermWindow(max_chars=12)  # bounded by characters: the cut falls inside a line
    for seq, piece in enumerate(["aaa\nbb", "b\nccc\n", "ddd\n"], 1):
        w.add(_out(seq, piece))
    assert _screen([w.flush()]) == "ccc\nddd\n"
    assert w.has_earlier


def test_a_trimmed_window_starts_at_a_whole_line_after_the_browser_had_it():
    w, ops = TermWindow(max_chars=12), []
    for seq, piece in enumerate(["aaa\nbb", "b\nccc\n", "ddd\n"], 1):
        w.add(_out(seq, piece))
        ops.append(w.flush())
    assert _screen(ops) == "ccc\nddd\n"
    assert w.has_earlier


def test_the_kept_tail_after_a_truncation_starts_at_a_whole_line():
    # Past its cap the worker keeps the last bytes: they begin inside a line.
    w = TermWindow(truncated_label="[{dropped_bytes} bytes dropped]")
    w.add(_out(1, "line1\n"))
    w.add(Event(seq=2, type="truncated", data={"dropped_bytes": 500}))
    w.add(_out(3, "f line 9\nline10\n"))
    assert _screen([w.flush()]) == "line1\n\n[500 bytes dropped]\nline10\n"
    assert w.line_count == 4 and w.dropped_bytes == 500


def test_earlier_output_paged_in_overwrites_its_progress_too():
    w = TermWindow(max_lines=2, max_chars=10_000)
    events = [_out(1, "start\n"), _out(2, "10%\r"), _out(3, "50%\r"), _out(4, "100%\n"),
              _out(5, "a\n"), _out(6, "b\n")]
    for ev in events:
        w.add(ev)
    w.flush()
    op = w.prepend(events[:w.first_seq - 1], more_exist=False)
    held: list[list] = []
    for chunk in op["prepend"]:
        if len(chunk) > 3 and chunk[3]:
            _erase(held)
        held.append([chunk[0], _text(chunk[2])])
    assert "".join(t for _s, t in held) == "start\n100%\n"


def test_paging_in_before_a_line_that_overwrote_its_start_keeps_one_line():
    w = TermWindow(max_chars=5)
    events = [_out(1, "start\n"), _out(2, "10%\r"), _out(3, "50%\r"), _out(4, "100%\n")]
    for ev in events:
        w.add(ev)
    shown = w.flush()["append"]
    assert [c[0] for c in shown] == [4]
    op = w.prepend(events[:3], more_exist=False)
    held: list[list] = []
    for chunk in op["prepend"]:
        if len(chunk) > 3 and chunk[3]:
            _erase(held)
        held.append([chunk[0], _text(chunk[2])])
    assert "".join(t for _s, t in held) + _text(shown[0][2]) == "start\n100%\n"
