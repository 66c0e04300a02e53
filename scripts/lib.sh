# Shared steps for scripts/up and scripts/test. Each step skips what is done,
# so a second run is quick. Sourced, not executed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# CLAWWEB_VENV: another virtualenv (tests run lib.sh from a checkout without one).
VENV="${CLAWWEB_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
export REFLEX_USE_SYSTEM_BUN=1 DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
export CLAWWEB_DATA_DIR="${CLAWWEB_DATA_DIR:-$ROOT/data}"

say() { printf '\033[1;36m==>\033[0m %s\n' "$*"; }

need_root() {
  if [ "$(id -u)" != 0 ]; then echo "run as root (it installs Debian packages and starts dockerd)" >&2; exit 1; fi
}

ensure_debs() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    need_root
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_bun() {
  if ! command -v bun >/dev/null 2>&1; then
    say "installing bun from npm (Reflex builds its frontend with it)"
    npm install -g --silent bun >/dev/null
  fi
}

# $1: requirements file(s); reinstalls only when their contents change.
ensure_venv() {
  [ -x "$PY" ] || { say "creating virtualenv"; python3 -m venv "$VENV"; }
  local stamp="$VENV/.requirements.sha" want
  want=$(cat "$@" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing Python packages"
    # The machine's pip config may name local indexes that are absent; their
    # warnings are noise, real errors still fail the step.
    "$VENV/bin/pip" install -q --disable-pip-version-check $(printf -- '-r %s ' "$@") \
      2> >(grep -v "^WARNING: Location '" >&2)
    echo "$want" > "$stamp"
  fi
}

# Redis for clawweb: loopback only, password, AOF, noeviction. Reused if running.
REDIS_PORT="${CLAWWEB_REDIS_PORT:-6390}"
redis_ping() {  # redis-cli exits 0 even on an error reply: compare the answer
  [ "$(redis-cli -p "$REDIS_PORT" -a "$1" --no-auth-warning ping 2>/dev/null)" = "PONG" ]
}

ensure_redis() {
  local dir="$CLAWWEB_DATA_DIR/redis" pwfile="$CLAWWEB_DATA_DIR/redis.password"
  mkdir -p "$dir"
  if [ ! -s "$pwfile" ]; then (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$pwfile"); fi
  local pw; pw=$(cat "$pwfile")
  export CLAWWEB_REDIS_URL="${CLAWWEB_REDIS_URL:-redis://:$pw@127.0.0.1:$REDIS_PORT/0}"
  if redis_ping "$pw"; then return; fi
  if redis-cli -p "$REDIS_PORT" --no-auth-warning ping >/dev/null 2>&1 \
      && [ -n "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" ]; then
    echo "something else answers on 127.0.0.1:$REDIS_PORT and refuses clawweb's password" \
         "($pwfile); stop it or set CLAWWEB_REDIS_PORT" >&2
    exit 1
  fi
  say "starting redis-server on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --requirepass "$pw" \
    --appendonly yes --maxmemory-policy noeviction --dir "$dir" \
    --daemonize no >"$dir/redis.log" 2>&1 &
  STARTED_PIDS+=($!)
  for _ in $(seq 1 50); do
    redis_ping "$pw" && return
    sleep 0.1
  done
  echo "redis-server did not start; see $dir/redis.log" >&2; exit 1
}

ensure_dockerd() {
  if docker info >/dev/null 2>&1; then return; fi
  say "starting dockerd"
  need_root
  mkdir -p /var/log
  dockerd >/var/log/clawweb-dockerd.log 2>&1 &
  STARTED_DOCKERD=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return; sleep 0.5; done
  echo "dockerd did not start; see /var/log/clawweb-dockerd.log" >&2; exit 1
}

# $1: how many workers, each under supervise_worker. Same command line every
# start: `--name` is the prefix of each worker's name. Output goes to the
# terminal and to data/logs/worker-N.log.
start_workers() {
  local logs="$CLAWWEB_DATA_DIR/logs"
  mkdir -p "$logs"
  for i in $(seq 1 "$1"); do
    supervise_worker "$i" > >(tee -a "$logs/worker-$i.log") 2>&1 &
    STARTED_PIDS+=($!)
  done
}

# $1: the worker's number. Starts `python -m worker` again whenever it dies: a
# non-zero exit (kill -9, a crash, the OOM killer). Between starts it waits 1,
# 2, 4 ... up to CLAWWEB_RESTART_MAX_SECONDS (30) s, so a worker that cannot
# start (Redis refuses its password, a broken install) does not spin; one that
# ran for a minute is restarted after 1 s again. A clean exit (0: SIGTERM's warm
# shutdown, or a drain) is final. SIGTERM to this loop goes to the worker and
# ends the loop once the worker has finished. A bash loop rather than a Python
# supervisor: it is what scripts/up already is, needs nothing installed, and a
# crash of the worker's own interpreter cannot take it down.
supervise_worker() {
  local i=$1 delay=1 max="${CLAWWEB_RESTART_MAX_SECONDS:-30}" child="" rc started
  local stopping=0
  trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' TERM
  trap 'stopping=1' INT
  while :; do
    started=$SECONDS
    "$PY" -m worker --name "$(hostname)-$i" &
    child=$!
    rc=0; wait "$child" || rc=$?
    # A trapped signal ends `wait` early: wait for the worker itself to finish.
    if [ "$stopping" = 1 ]; then rc=0; wait "$child" || rc=$?; return "$rc"; fi
    [ "$rc" = 0 ] && return 0
    if (( SECONDS - started >= 60 )); then delay=1; fi
    echo "clawweb: worker $i exited with status $rc; starting it again in ${delay}s" >&2
    sleep "$delay" & child=$!
    wait "$child" || true
    [ "$stopping" = 1 ] && return 0
    delay=$(( delay * 2 > max ? max : delay * 2 ))
  done
}

ensure_runner_image() {
  PATH="$VENV/bin:$PATH" bash "$ROOT/worker/runner/build-image.sh"
}

STARTED_PIDS=()
STARTED_DOCKERD=""
SYSTEM_DEBS=(redis-server redis-tools docker.io debootstrap git ca-certificates)
