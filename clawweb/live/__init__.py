"""What turns events and stored data into what a browser shows: plain Python, no Reflex.

- Terminal output: ``ansi`` (SGR colours → safe HTML) and ``term_window`` (the
  bounded window one browser's terminal holds, sent as small ops that
  the page's terminal script applies).
- Claude tasks: ``conversation`` folds ``agent.*`` events into view items;
  ``egress_notices`` words the egress proxy's reports.
- Review: ``diff_html``, ``highlight``, ``markdown_html``, ``review_view``,
  ``files_view``.

Everything here builds HTML or view dicts from hostile text by escaping every
character of it (``<span>`` with class names only, never an attribute value
taken from the input except URLs this layer built itself). The modules do no
I/O of their own: services hand over data, these turn it into inert markup.
The state layer (``clawweb/state/``) owns the loops that feed them.
"""
