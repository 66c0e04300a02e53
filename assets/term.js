// The task page's terminal: applies the live loop's ops to #task-term-out.
//
// Loaded by every page's head (clawweb/clawweb.py HEAD) as a static file: the
// CSP admits scripts from 'self' and no inline ones. The loop
// (clawweb/state/task_live.py) sends ops with rx.call_script that only call
// window.clawwebTerm.apply(gen, op); React renders #task-term-out empty and
// never touches it. apply() checks that ops arrive in order (op.prev ==
// cursor); on a gap it asks the server for a replay through the hidden resync
// button. The HTML inside each op comes from clawweb/live/ansi.py (escaped, inert).
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
