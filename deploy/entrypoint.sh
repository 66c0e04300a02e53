#!/bin/sh
# The app image's commands: web | worker [args] | migrate | manage <command> [args].
set -eu
cd /opt/clawweb/app
cmd=${1:-web}
[ $# -gt 0 ] && shift
case "$cmd" in
  migrate)
    # Upgrades run this first: the schema moves before any new code serves.
    python -m clawweb.manage migrate
    # The secret key is made here, once, before web and workers start together.
    python -c 'from clawweb.settings import get_settings; get_settings().secret_bytes()'
    python -m clawweb.manage setup-code
    python -m clawweb.manage check ;;
  web) exec python deploy/serve_web.py ;;
  worker) exec python -m worker "$@" ;;
  manage) exec python -m clawweb.manage "$@" ;;
  *) exec "$cmd" "$@" ;;
esac
