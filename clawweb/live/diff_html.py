"""A window of a file's patch as one block of inert HTML (see :mod:`.highlight`).

One string per file window: the browser sets it once as ``innerHTML`` instead
of React building a component per line, which keeps a large diff cheap to
show. Line numbers, signs and code are separate spans so the code column can
wrap on a phone while the numbers stay put.
"""

from __future__ import annotations

import html

from clawweb.live.highlight import code_html, lexer_for, line_html, word_ranges

_CLASS = {"+": "cw-add", "-": "cw-del", " ": "cw-ctx", "@": "cw-hunk", "\\": "cw-nonl"}
_SIGN = {"+": "+", "-": "−", " ": "", "@": "", "\\": ""}


def _pairs(lines: list[tuple[str, int, int, str]]) -> dict[int, list[tuple[int, int]]]:
    """Word ranges per line index, for each removed line followed by an added one."""
    marks: dict[int, list[tuple[int, int]]] = {}
    i = 0
    while i < len(lines):
        if lines[i][0] != "-":
            i += 1
            continue
        dels = []
        while i < len(lines) and lines[i][0] == "-":
            dels.append(i)
            i += 1
        adds = []
        while i < len(lines) and lines[i][0] == "+":
            adds.append(i)
            i += 1
        for d, a in zip(dels, adds):
            old, new = word_ranges(lines[d][3], lines[a][3])
            if old or new:
                marks[d], marks[a] = old, new
    return marks


def _number(value: int) -> str:
    return str(value) if value else ""


def window_html(path: str, lines: list[tuple[str, int, int, str]]) -> str:
    """HTML for one window of parsed patch lines of ``path``."""
    lexer = lexer_for(path)
    marks = _pairs(lines)
    out = ['<div class="cw-diff" role="table">']
    for i, (kind, old_no, new_no, text) in enumerate(lines):
        if kind in ("@", "\\"):
            code = html.escape(text, quote=True)
        else:
            code = line_html(lexer, text.rstrip("\r"), marks.get(i))
        out.append(
            f'<div class="cw-l {_CLASS.get(kind, "cw-ctx")}" role="row">'
            f'<span class="cw-n">{_number(old_no)}</span>'
            f'<span class="cw-n">{_number(new_no)}</span>'
            f'<span class="cw-s">{_SIGN.get(kind, "")}</span>'
            f'<span class="cw-c">{code}</span></div>')
    out.append("</div>")
    return "".join(out)


def file_html(path: str, text: str) -> str:
    """A whole (already truncated) text file with line numbers, for the file browser."""
    rows = [f'<div class="cw-l cw-ctx"><span class="cw-n">{n}</span>'
            f'<span class="cw-c">{line}</span></div>'
            for n, line in enumerate(code_html(path, text), start=1)]
    return '<div class="cw-diff cw-file">' + "".join(rows) + "</div>"


# Shared by the diff and the file view; Radix colour variables follow light/dark mode.
CSS = """
.cw-diff{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;
 line-height:1.5;width:100%;overflow-x:auto;border-radius:6px;background:var(--gray-2)}
.cw-l{display:grid;grid-template-columns:minmax(2.2em,max-content) minmax(2.2em,max-content)
 1.1em minmax(0,1fr);align-items:start}
.cw-file .cw-l{grid-template-columns:minmax(2.6em,max-content) minmax(0,1fr)}
.cw-n{color:var(--gray-9);text-align:right;padding:0 6px;user-select:none;
 font-variant-numeric:tabular-nums;font-size:11px}
.cw-s{user-select:none;text-align:center;color:var(--gray-10)}
.cw-c{white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;padding-right:6px;
 min-width:0}
.cw-add{background:var(--green-3)}.cw-add .cw-s{color:var(--green-11)}
.cw-del{background:var(--red-3)}.cw-del .cw-s{color:var(--red-11)}
.cw-add .cw-w{background:var(--green-6);border-radius:2px}
.cw-del .cw-w{background:var(--red-6);border-radius:2px}
.cw-hunk{background:var(--blue-3);color:var(--blue-11)}
.cw-hunk .cw-c,.cw-nonl .cw-c{font-style:italic}
.cw-nonl{color:var(--gray-10)}
.t-k,.t-kd,.t-kn,.t-kr,.t-kc,.t-kt,.t-kp,.t-ow{color:var(--purple-11)}
.t-s,.t-s1,.t-s2,.t-sb,.t-sc,.t-sd,.t-se,.t-sh,.t-si,.t-sx,.t-sr,.t-ss,.t-dl,.t-sa{
 color:var(--green-11)}
.t-c,.t-c1,.t-cm,.t-cp,.t-cpf,.t-cs,.t-ch{color:var(--gray-10);font-style:italic}
.t-m,.t-mi,.t-mf,.t-mh,.t-mo,.t-mb,.t-il{color:var(--orange-11)}
.t-nf,.t-fm,.t-nc,.t-nn{color:var(--blue-11)}
.t-nb,.t-bp,.t-nd,.t-ne{color:var(--cyan-11)}
.t-nt{color:var(--red-11)}.t-na{color:var(--amber-11)}
.t-gi{color:var(--green-11)}.t-gd{color:var(--red-11)}.t-gh,.t-gu{color:var(--blue-11)}
.cw-card>summary{list-style:none}.cw-card>summary::-webkit-details-marker{display:none}
.cw-card .cw-chev{transition:transform .15s}.cw-card[open]>summary .cw-chev{transform:rotate(90deg)}
.cw-md{overflow-wrap:anywhere;line-height:1.6;font-size:15px}
.cw-md pre{overflow-x:auto;background:var(--gray-3);padding:8px;border-radius:6px;
 font-size:12px}
.cw-md code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.cw-md img{max-width:100%;height:auto}
.cw-md table{display:block;overflow-x:auto;border-collapse:collapse}
.cw-md th,.cw-md td{border:1px solid var(--gray-6);padding:4px 8px}
.cw-md blockquote{border-left:3px solid var(--gray-6);margin-left:0;padding-left:12px;
 color:var(--gray-11)}
"""
