"""Plain HTML for the browser, built from hostile text by escaping every character of it.

No Reflex here (the components put the result into ``rx.html``) and no I/O:
services hand over data, these modules turn it into inert markup (``<span>``
with class names only, never an attribute value taken from the input except
URLs this layer built itself).
"""
