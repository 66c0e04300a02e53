#!/bin/sh
# Redis as clawweb needs it: every queued task survives a restart (AOF), nothing
# is evicted, and a password (REDIS_PASSWORD) kept out of the command line.
set -eu
: "${REDIS_PASSWORD:?set REDIS_PASSWORD}"
conf=/data/clawweb-redis.conf
umask 077
printf 'requirepass "%s"\n' "$REDIS_PASSWORD" > "$conf"
exec redis-server "$conf" --bind 0.0.0.0 --port 6379 --dir /data \
  --appendonly yes --maxmemory-policy noeviction --save "" "$@"
