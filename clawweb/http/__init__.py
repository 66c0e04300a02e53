"""HTTP-level pieces of the web app: API routes, response headers, the session cookie.

Plain Starlette/ASGI; the Reflex app mounts them through ``api_transformer``
(see ``clawweb/api.py``).
"""
