"""The terminal view of a task: a bounded, seq-keyed DOM window fed by the live loop.

Output never goes through Reflex vars (every change would resend the whole
list). The loop sends small ops with ``rx.call_script``; ``TERM_JS`` applies
them to ``#task-term-out``, which React renders empty and never touches. The
HTML inside each op comes from ``clawweb.services.ansi`` (escaped, inert).
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr

TERM_BG = "#0b0d10"

# Installed by the first op of every loop generation (idempotent). apply()
# checks that ops arrive in order (op.prev == cursor); on a gap it asks the
# server for a replay through the hidden resync button.
TERM_JS = r"""
(function(){
if (window.clawwebTerm) return;
var T = {gen: -1, cursor: 0, follow: true};
function el(id){ return document.getElementById(id); }
function showJump(show){ var j = el('task-term-jump'); if (j) j.style.display = show ? 'inline-flex' : 'none'; }
T.bind = function(){
  var b = el('task-term'); if (!b || b.dataset.cw === '1') return; b.dataset.cw = '1';
  b.addEventListener('scroll', function(){
    var at = b.scrollHeight - b.scrollTop - b.clientHeight < 48;
    T.follow = at; showJump(!at);
  }, {passive: true});
};
T.chunk = function(c){
  var s = document.createElement('span');
  s.dataset.seq = c[0]; s.dataset.stream = c[1];
  if (c[1] === 'stderr') { s.style.color = '#ff9e9e'; s.style.background = 'rgba(239,83,80,.10)'; }
  if (c[1] === 'sys') { s.style.color = '#ffca28'; s.style.fontStyle = 'italic'; }
  s.innerHTML = c[2];
  return s;
};
T.frag = function(list){ var f = document.createDocumentFragment(); for (var i = 0; i < list.length; i++) f.appendChild(T.chunk(list[i])); return f; };
T.q = [];
T.apply = function(gen, op){ T.q.push([gen, op]); T.drain(); };
// Ops can arrive before the page has mounted the terminal (a reload's first
// replay): keep them, in order, until it is there.
T.drain = function(){
  var out = el('task-term-out'), b = el('task-term');
  if (!out || !b) { if (!T.waiting) { T.waiting = true; setTimeout(function(){ T.waiting = false; T.drain(); }, 50); } return; }
  while (T.q.length) { var item = T.q.shift(); T.one(item[0], item[1], out, b); }
  var empty = el('task-term-empty'); if (empty) empty.style.display = out.firstChild ? 'none' : '';
  if (T.follow) b.scrollTop = b.scrollHeight;
};
T.one = function(gen, op, out, b){
  if (op.reset) { T.gen = gen; T.cursor = 0; T.follow = true; out.textContent = ''; T.bind(); showJump(false); }
  if (gen !== T.gen) return;
  if (op.prev !== T.cursor) { T.gen = -1; T.q = []; var r = el('task-term-resync'); if (r) r.click(); return; }
  T.cursor = op.cursor;
  if (op.drop_before) { while (out.firstChild && +out.firstChild.dataset.seq < op.drop_before) out.removeChild(out.firstChild); }
  if (op.prepend && op.prepend.length) { var h = b.scrollHeight; out.insertBefore(T.frag(op.prepend), out.firstChild); b.scrollTop += b.scrollHeight - h; }
  if (op.append && op.append.length) out.appendChild(T.frag(op.append));
};
T.jump = function(){ var b = el('task-term'); T.follow = true; if (b) b.scrollTop = b.scrollHeight; showJump(false); };
window.clawwebTerm = T;
})();
"""


def terminal(*, line_count: rx.Var, has_earlier: rx.Var, earlier_loading: rx.Var,
             dropped_bytes: rx.Var, on_load_earlier, on_jump_live, on_resync) -> rx.Component:
    """The output box: line count, truncation notice, paging, jump-to-live."""
    return rx.vstack(
        rx.hstack(
            rx.text(tr("ui_tasks.output"), weight="medium"),
            rx.badge(tr("ui_tasks.lines", count=line_count.to_string()), variant="soft",
                     color_scheme="gray", data_testid="term-line-count"),
            rx.spacer(),
            rx.button(rx.icon("arrow-down-to-line", size=14), tr("ui_tasks.jump_live"),
                      id="task-term-jump", size="1", variant="solid",
                      style={"display": "none"}, data_testid="term-jump-live",
                      on_click=[rx.call_script("window.clawwebTerm&&clawwebTerm.jump()"),
                                on_jump_live]),
            width="100%", align="center", wrap="wrap",
        ),
        rx.cond(dropped_bytes > 0, rx.callout(
            tr("ui_tasks.truncated", dropped=dropped_bytes.to_string()), icon="scissors",
            color_scheme="amber", size="1", width="100%", data_testid="term-truncated")),
        rx.cond(has_earlier, rx.button(
            tr("ui_tasks.load_earlier"), size="1", variant="soft", loading=earlier_loading,
            on_click=on_load_earlier, data_testid="term-load-earlier")),
        rx.box(
            rx.el.div(id="task-term-out", data_testid="term-out"),
            rx.text(tr("ui_tasks.no_output"), id="task-term-empty", color="#7f8690",
                    size="2"),
            id="task-term", data_testid="term",
            background=TERM_BG, color="#d0d4da", border_radius="8px",
            padding="var(--space-3)", width="100%", height=["60vh", "60vh", "65vh"],
            overflow_y="auto", overflow_x="hidden",
            font_family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
            font_size=["12px", "12px", "13px"], line_height="1.45",
            white_space="pre-wrap", overflow_wrap="anywhere", word_break="break-word",
        ),
        rx.button("resync", id="task-term-resync", on_click=on_resync,
                  style={"display": "none"}, aria_hidden="true", tab_index=-1),
        width="100%", spacing="2",
    )
