// A minimal DOM, just enough to run assets/term.js in node and read what
// #task-term-out shows (tests/components/test_term_js_lines.py). Only what the
// script uses: element trees, text nodes, a text TreeWalker, and innerHTML for the
// one-deep <span style> markup clawweb/live/ansi.py produces.
class Node {
  constructor(tag) { this.tag = tag; this.children = []; this.parent = null; this.dataset = {}; this.style = {}; }
  get firstChild() { return this.children[0] || null; }
  get lastChild() { return this.children[this.children.length - 1] || null; }
  sib(d) { if (!this.parent) return null; const a = this.parent.children; return a[a.indexOf(this) + d] || null; }
  get previousSibling() { return this.sib(-1); }
  get nextSibling() { return this.sib(1); }
  detach() { if (this.parent) { const a = this.parent.children; a.splice(a.indexOf(this), 1); this.parent = null; } }
  insertBefore(n, ref) {
    const nodes = n.tag === '#fragment' ? n.children.slice() : [n];
    for (const c of nodes) { c.detach(); const i = ref ? this.children.indexOf(ref) : this.children.length; this.children.splice(i, 0, c); c.parent = this; }
    return n;
  }
  appendChild(n) { return this.insertBefore(n, null); }
  removeChild(n) { n.detach(); return n; }
  get textContent() { return this.tag === '#text' ? this.data : this.children.map(c => c.textContent).join(''); }
  set textContent(v) { for (const c of this.children.slice()) c.detach(); if (v) { const t = new Node('#text'); t.data = v; this.appendChild(t); } }
  set innerHTML(html) {
    this.textContent = '';
    const unesc = s => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&');
    let cur = this;
    for (const m of html.matchAll(/<span style="([^"]*)">|<\/span>|[^<]+/g)) {
      if (m[1] !== undefined) { const s = new Node('span'); cur.appendChild(s); cur = s; }
      else if (m[0] === '</span>') cur = cur.parent;
      else { const t = new Node('#text'); t.data = unesc(m[0]); cur.appendChild(t); }
    }
  }
  addEventListener() {}
}
const byId = {};
function el(id, tag) { const n = new Node(tag || 'div'); byId[id] = n; return n; }
const box = el('task-term'); box.scrollTop = 0; box.scrollHeight = 0; box.clientHeight = 0;
box.appendChild(el('task-term-out'));
global.NodeFilter = {SHOW_TEXT: 4};
global.document = {
  documentElement: {scrollHeight: 0},
  getElementById: id => byId[id] || null,
  createElement: tag => new Node(tag),
  createDocumentFragment: () => new Node('#fragment'),
  createTreeWalker: root => {
    const list = [];
    (function walk(n) { for (const c of n.children) { if (c.tag === '#text') list.push(c); else walk(c); } })(root);
    let i = 0;
    return {nextNode: () => list[i++] || null};
  },
  querySelector: () => null,
  querySelectorAll: () => [],
};
global.window = global;
global.location = {pathname: '/not-a-task-page'};
global.addEventListener = () => {};
// The hidden resync button: counts the replays the script asks for.
const resync = el('task-term-resync', 'button'); resync.clicks = 0;
resync.click = () => { resync.clicks += 1; };
module.exports = {out: () => byId['task-term-out'], resyncs: () => resync.clicks};
