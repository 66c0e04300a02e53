// The task page's terminal: applies the live loop's ops to #task-term-out.
//
// Loaded by every page's head (clawweb/clawweb.py HEAD) as a static file: the
// CSP admits scripts from 'self' and no inline ones. The loop
// (clawweb/state/task_live.py) sends ops with rx.call_script that only call
// window.clawwebTerm.apply(gen, op); React renders #task-term-out empty and
// never touches it. apply() checks that ops arrive in order (op.prev ==
// cursor); on a gap, or ops of a generation whose reset it never saw, it asks
// the server for a replay through the hidden resync button. The HTML inside
// each op comes from clawweb/live/ansi.py (escaped, inert).
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
  if (c[1] === 'input') { s.style.color = '#7fd4ff'; s.style.fontWeight = '600'; }
  if (c[1] === 'sys') { s.style.color = '#ffca28'; s.style.fontStyle = 'italic'; }
  s.innerHTML = c[2];
  return s;
};
// The text nodes of one chunk's span, in order (its ANSI spans nest one deep).
function texts(s){ var w = document.createTreeWalker(s, NodeFilter.SHOW_TEXT), a = [], n; while ((n = w.nextNode())) a.push(n); return a; }
// A chunk that began with a carriage return (c[3]) replaces the line shown so far:
// clear back to the last newline (clawweb/live/ansi.py resolve_cr).
T.erase = function(box){
  for (var s = box.lastChild; s; s = s.previousSibling) {
    var t = texts(s);
    for (var i = t.length - 1; i >= 0; i--) {
      var k = t[i].data.lastIndexOf('\n');
      if (k >= 0) { t[i].data = t[i].data.slice(0, k + 1); return; }
      t[i].data = '';
    }
  }
};
// The window's first chunk continued a line that was dropped: cut it to a whole line.
T.trimHead = function(box){
  var t = texts(box.firstChild);
  for (var i = 0; i < t.length; i++) {
    var k = t[i].data.indexOf('\n');
    if (k >= 0) { t[i].data = t[i].data.slice(k + 1); return; }
    t[i].data = '';
  }
};
T.add = function(box, list){ for (var i = 0; i < list.length; i++) { if (list[i][3]) T.erase(box); box.appendChild(T.chunk(list[i])); } };
T.frag = function(list){ var d = document.createElement('div'), f = document.createDocumentFragment(); T.add(d, list); while (d.firstChild) f.appendChild(d.firstChild); return f; };
T.q = [];
T.apply = function(gen, op){ T.q.push([gen, op]); T.drain(); };
// Ops can arrive before the page has mounted the terminal (a reload's first
// replay, a new task's first line while its page is still being drawn): keep
// them, in order, and look again at the next frame, not after a fixed wait.
function later(fn){ if (window.requestAnimationFrame) requestAnimationFrame(fn); else setTimeout(fn, 16); }
T.drain = function(){
  var out = el('task-term-out'), b = el('task-term');
  if (!out || !b) { if (!T.waiting) { T.waiting = true; later(function(){ T.waiting = false; T.drain(); }); } return; }
  while (T.q.length) { var item = T.q.shift(); T.one(item[0], item[1], out, b); }
  var empty = el('task-term-empty'); if (empty) empty.style.display = out.firstChild ? 'none' : '';
  if (T.follow) b.scrollTop = b.scrollHeight;
  P.keep();
};
T.one = function(gen, op, out, b){
  if (op.reset) { T.gen = gen; T.cursor = 0; T.follow = true; T.out = out; out.textContent = ''; T.bind(); showJump(false); }
  // The page drew a new terminal after this generation's reset (ops that came
  // while the page was changing went to the old one): replay into the new one.
  if (gen === T.gen && out !== T.out) { T.gen = -1; T.q = []; T.resync(gen); return; }
  // A newer generation without its reset: the reset ran before this script had
  // loaded (call_script drops it then), so ask for a replay, once per generation.
  if (gen !== T.gen) { if (gen > T.gen && T.asked !== gen) T.resync(gen); return; }
  if (op.prev !== T.cursor) { T.gen = -1; T.q = []; T.resync(gen); return; }
  T.cursor = op.cursor;
  if (op.drop_before) { while (out.firstChild && +out.firstChild.dataset.seq < op.drop_before) out.removeChild(out.firstChild); }
  if (op.trim_head && out.firstChild && +out.firstChild.dataset.seq === op.trim_head) T.trimHead(out);
  if (op.prepend && op.prepend.length) { var h = b.scrollHeight; out.insertBefore(T.frag(op.prepend), out.firstChild); b.scrollTop += b.scrollHeight - h; }
  if (op.append && op.append.length) T.add(out, op.append);
};
T.resync = function(gen){ T.asked = gen; var r = el('task-term-resync'); if (r) r.click(); };
T.jump = function(){ var b = el('task-term'); T.follow = true; if (b) b.scrollTop = b.scrollHeight; showJump(false); };
window.clawwebTerm = T;

// The task page on a phone (the bottom tab bar shows): while the reader is at the
// end of the page, the end stays in view as output and conversation grow, so the
// newest line never sits under the tab bar; scrolling up stops that, scrolling
// back down resumes it (as chat apps do). A new approval request is scrolled into
// view wherever the reader is (its scroll-margin keeps it above the tab bar).
var P = {follow: true, path: '', seen: {}, target: 0};
function phone(){ var n = document.querySelector('[data-testid=bottom-nav]'); return !!n && getComputedStyle(n).display !== 'none'; }
function atEnd(){ var d = document.documentElement; return d.scrollHeight - window.scrollY - window.innerHeight < 64; }
P.keep = function(){
  if (!/^\/tasks\/\d+\/?$/.test(location.pathname) || !phone()) return;
  if (P.path !== location.pathname) { P.path = location.pathname; P.follow = true; P.seen = {}; P.target = 0; }
  // Moved up since we last scrolled (its scroll event may not have come yet): the reader's.
  if (P.follow && P.target && window.scrollY < P.target - 2) P.follow = atEnd();
  var cards = document.querySelectorAll('[data-testid=approval-card],[data-testid=plan-card]'), fresh = null;
  for (var i = 0; i < cards.length; i++) {
    var id = cards[i].dataset.approvalId;
    if (!P.seen[id]) { P.seen[id] = 1; fresh = fresh || cards[i]; }
  }
  if (fresh) { fresh.scrollIntoView({block: 'nearest'}); P.target = window.scrollY; P.follow = atEnd(); return; }
  if (P.follow) { window.scrollTo(0, document.documentElement.scrollHeight); P.target = window.scrollY; }
};
// A notification's link names its request (#approval-<id>, routes.approval): once
// that card is on the page it is scrolled into view, on any screen, once per visit
// (the browser's own jump to a fragment comes before React has drawn the card).
P.linked = '';
P.toLinked = function(){
  var m = /^#approval-(\d+)$/.exec(location.hash || '');
  if (!m || !/^\/tasks\/\d+\/?$/.test(location.pathname)) return;
  var key = location.pathname + location.hash;
  if (P.linked === key) return;
  var card = document.querySelector('[data-testid=approval-card][data-approval-id="' + m[1] + '"]');
  if (!card) return;
  P.linked = key;
  card.scrollIntoView({block: 'start'});
  P.target = window.scrollY; P.follow = atEnd();
};
// Content can grow between our scroll and its event: only a move up from where we
// put the page is the reader's.
window.addEventListener('scroll', function(){
  if (P.path === location.pathname) P.follow = atEnd() || window.scrollY >= P.target - 2;
}, {passive: true});
// The conversation and the approval sheet grow without terminal ops: watch their
// size (React mounts them late and may replace them, hence the cheap re-attach).
P.ro = typeof ResizeObserver === 'function' ? new ResizeObserver(function(){ P.keep(); }) : null;
setInterval(function(){
  P.toLinked();
  if (!P.ro || !/^\/tasks\/\d+\/?$/.test(location.pathname)) return;
  var nodes = document.querySelectorAll('[data-testid=conversation],[data-testid=approval-sheet]');
  for (var i = 0; i < nodes.length; i++) {
    if (!nodes[i].__cwWatched) { nodes[i].__cwWatched = true; P.ro.observe(nodes[i]); }
  }
}, 400);
})();
