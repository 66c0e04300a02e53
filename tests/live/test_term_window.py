"""The terminal window: bounded, seq-keyed, nothing missing or repeated in what it sends."""

from __future__ import annotations

from clawweb.streams import Event
from clawweb.live.term_window import TermWindow


def _out(seq, text, stream="stdout"):
    return Event(seq=seq, type="output", data={"stream": stream, "text": text})


def _replay(ops):
    """What a browser applying ``ops`` holds: {seq: html} in order."""
    held: dict[int, str] = {}
    cursor = 0
    for op in ops:
        assert op["prev"] == cursor
        cursor = op["cursor"]
        if op.get("drop_before"):
            held = {s: h for s, h in held.items() if s >= op["drop_before"]}
        held = {**{seq: body for seq, _s, body in op.get("prepend", [])}, **held}
        for seq, _stream, body in op.get("append", []):
            assert seq not in held
            held[seq] = body
    return held


def test_everything_arrives_once_in_order_and_lines_are_counted():
    w = TermWindow()
    ops = []
    for seq in range(1, 101):
        w.add(_out(seq, f"line-{seq}\n"))
        w.add(_out(seq, "duplicate\n"))  # a replayed seq is ignored
        if seq % 7 == 0:
            ops.append(w.flush())
    ops.append(w.flush())
    assert w.flush() is None
    held = _replay([o for o in ops if o])
    assert "".join(held.values()) == "".join(f"line-{i}\n" for i in range(1, 101))
    assert w.line_count == 100


def test_window_is_bounded_and_the_browser_is_told_to_drop():
    w = TermWindow(max_lines=50, max_chars=10_000)
    ops = []
    for seq in range(1, 501):
        w.add(_out(seq, f"l{seq}\n"))
        ops.append(w.flush())
    held = _replay(ops)
    assert len(held) == 50 and min(held) == 451
    assert w.has_earlier and w.line_count == 500


def test_huge_line_is_bounded_by_characters():
    w = TermWindow(max_chars=100_000)
    for seq in range(1, 201):
        w.add(_out(seq, "x" * 4096))  # no newline ever
    op = w.flush()
    assert sum(len(body) for _, _, body in op["append"]) <= 104_096
    assert w.line_count == 1


def test_stderr_and_markers_are_distinguishable_and_escaped():
    w = TermWindow(truncated_label="truncated {dropped_bytes}")
    w.add(_out(1, "<b>oops</b>\n", "stderr"))
    w.add(Event(seq=2, type="truncated", data={"dropped_bytes": 1234}))
    w.add(Event(seq=3, type="status", data={"status": "running"}))
    op = w.flush()
    assert op["append"][0] == [1, "stderr", "&lt;b&gt;oops&lt;/b&gt;\n"]
    assert op["append"][1][1] == "sys" and "truncated 1234" in op["append"][1][2]
    assert op["cursor"] == 3 and w.dropped_bytes == 1234


def test_prepend_pages_in_earlier_output_within_bounds():
    w = TermWindow(max_lines=10, max_chars=10_000)
    for seq in range(1, 31):
        w.add(_out(seq, f"l{seq}\n"))
    held = _replay([w.flush()])
    assert min(held) == 21
    earlier = [_out(s, f"l{s}\n") for s in range(1, w.first_seq)]
    op = w.prepend(earlier, more_exist=False)
    held = _replay([{"prev": 0, "cursor": 30, "append": [[s, "", h] for s, h in held.items()]},
                    op])
    assert list(held) == list(range(1, 31))
    assert not w.has_earlier
    w.add(_out(31, "l31\n"))  # extended while the user reads: kept
    assert w.first_seq == 1
    w.follow_live()
    assert w.first_seq == 22


def test_input_sent_to_the_command_is_shown_as_input_and_escaped():
    w = TermWindow()
    w.add(_out(1, "[y/N] "))
    w.add(Event(seq=2, type="input", data={"text": "<img src=x onerror=alert(1)>", "by": "a"}))
    w.add(Event(seq=3, type="input", data={"signal": "INT", "by": "a"}))
    w.add(Event(seq=4, type="input", data={"eof": True, "by": "a"}))
    op = w.flush()
    assert op["append"][1] == [2, "input", "&lt;img src=x onerror=alert(1)&gt;\n"]
    assert op["append"][2] == [3, "input", "^C\n"]
    assert op["append"][3] == [4, "input", "^D\n"]
    assert w.line_count == 3
