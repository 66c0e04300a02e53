"""The baseline for ``bench.api_load``: one bare Starlette route, nothing else.

Served by the same server as the app (granian, as many workers), so the ratio shows
what clawweb's own stack adds on this machine, not what the machine can do.
"""

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(_request):
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/", hello)])
