#!/bin/sh
# PostgreSQL for clawweb: on first start a cluster with the role and database
# POSTGRES_USER / POSTGRES_DB and the password POSTGRES_PASSWORD; then the
# server, reachable over the compose network with that password only.
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user=${POSTGRES_USER:-clawweb}
db=${POSTGRES_DB:-clawweb}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  umask 077
  pw=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pw"
  initdb -D "$PGDATA" -U "$user" --pwfile "$pw" --auth-local=peer --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pw"
  echo "CREATE DATABASE \"$db\" OWNER \"$user\";" \
    | postgres --single -D "$PGDATA" -c "unix_socket_directories=" postgres >/dev/null
  # Any address of the compose network, with the password (scram), nothing else.
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp "$@"
