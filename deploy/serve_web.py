"""The web container's server: Reflex's production backend serving the frontend
that deploy/build-images.sh built into the image.

``reflex run --env prod`` would compile and build the frontend at every start
(bun, and the npm registry the first time); the image already holds the build,
so this runs only the backend (granian, as ``reflex run`` does), with the built
pages mounted, and refuses to start when CLAWWEB_PUBLIC_URL differs from the
URL the frontend was built for (its event socket would connect elsewhere).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1]


def main() -> int:
    sys.path.insert(0, str(APP))
    os.chdir(APP)
    from clawweb.settings import get_settings

    settings = get_settings()
    built_for = (APP / ".web" / "clawweb-public-url").read_text().strip()
    if built_for != settings.origin:
        print(f"this image's frontend was built for {built_for}, but CLAWWEB_PUBLIC_URL is "
              f"{settings.origin}: rebuild with CLAWWEB_PUBLIC_URL={settings.origin} "
              "deploy/build-images.sh", file=sys.stderr)
        return 2
    from reflex.utils import exec as reflex_exec
    from reflex_base.constants import Env, LogLevel
    from reflex_base.environment import environment

    # What `reflex run --env prod` sets once its build is done (env vars, so the
    # server's worker processes see them too).
    environment.REFLEX_ENV_MODE.set(Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)

    level = LogLevel(os.environ.get("CLAWWEB_WEB_LOG_LEVEL", "warning"))
    reflex_exec.run_backend_prod(settings.host, settings.port, level,
                                 mount_frontend_compiled_app=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
