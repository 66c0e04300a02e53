"""assets/term.js applies the window's line ops as TermWindow means them (run in node).

The ops come from the real :class:`TermWindow`; the script runs on a minimal DOM
(tests/components/term_js_dom.js) and the test reads what ``#task-term-out`` shows:
a carriage return's erase, ``trim_head`` and ``drop_before`` done by the code the
browser runs. (The phone browser test covers the erase in Chromium.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from clawweb.live.term_window import TermWindow
from clawweb.streams import Event
from tests.support.services import need

ROOT = Path(__file__).resolve().parents[2]
RUN = """
const dom = require(%(dom)s);
require(%(script)s);
const ops = %(ops)s;
clawwebTerm.apply(1, {reset: 1, prev: 0, cursor: 0});
for (const op of ops) clawwebTerm.apply(1, op);
process.stdout.write(JSON.stringify({text: dom.out().textContent,
  seqs: dom.out().children.map(c => +c.dataset.seq), cursor: clawwebTerm.cursor}));
process.exit(0);
"""


def _shown(ops: list[dict]) -> dict:
    node = shutil.which("node")
    need(node is not None, "node", "install Node.js (the frontend build needs it too)")
    code = RUN % {"dom": json.dumps(str(ROOT / "tests/components/term_js_dom.js")),
                  "script": json.dumps(str(ROOT / "assets/term.js")),
                  "ops": json.dumps([op for op in ops if op])}
    done = subprocess.run([node, "-e", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _out(seq, text):
    return Event(seq=seq, type="output", data={"stream": "stdout", "text": text})


def _feed(window: TermWindow, pieces: list[str]) -> list[dict]:
    ops = []
    for seq, piece in enumerate(pieces, 1):
        window.add(_out(seq, piece))
        ops.append(window.flush())
    return ops


def test_progress_pieces_overwrite_their_line_in_the_script():
    shown = _shown(_feed(TermWindow(), ["start\n", "\x1b[32m10%\r", "50%\r", "100%\n", "ok\n"]))
    assert shown["text"] == "start\n100%\nok\n"
    assert shown["cursor"] == 5
    # The line to clear shares a text node with the line before it.
    assert _shown(_feed(TermWindow(), ["start\n10%\r", "50%\n"]))["text"] == "start\n50%\n"


def test_a_window_trimmed_after_the_browser_had_it_starts_at_a_whole_line():
    w = TermWindow(max_chars=12)
    ops = _feed(w, ["aaa\nbb", "b\nccc\n", "ddd\n"])
    assert any(op and op.get("trim_head") for op in ops)  # the script does the cut
    shown = _shown(ops)
    assert shown["text"] == "ccc\nddd\n" and shown["seqs"] == [2, 3]



MISSED_RESET = """
const dom = require(%(dom)s);
require(%(script)s);
const ops = %(ops)s;
// Generation 2's reset ran before the script loaded (call_script dropped it).
for (const op of ops) clawwebTerm.apply(2, op);
const asked = dom.resyncs();
clawwebTerm.apply(3, {reset: 1, prev: 0, cursor: 0});  // the replay the resync started
for (const op of ops) clawwebTerm.apply(3, op);
process.stdout.write(JSON.stringify({asked, after: dom.resyncs(), text: dom.out().textContent}));
process.exit(0);
"""


def test_ops_of_a_generation_whose_reset_was_missed_ask_for_one_replay():
    """A page whose script loaded after the loop's reset asks again; it never stays blank."""
    node = shutil.which("node")
    need(node is not None, "node", "install Node.js (the frontend build needs it too)")
    ops = _feed(TermWindow(), ["x1\n", "x2\n", "x3\n"])
    code = MISSED_RESET % {"dom": json.dumps(str(ROOT / "tests/components/term_js_dom.js")),
                           "script": json.dumps(str(ROOT / "assets/term.js")),
                           "ops": json.dumps(ops)}
    done = subprocess.run([node, "-e", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown == {"asked": 1, "after": 1, "text": "x1\nx2\nx3\n"}, shown
