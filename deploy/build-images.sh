#!/usr/bin/env bash
# Builds the images deploy/compose.yml runs, with no image registry: the Debian
# base is made with debootstrap + `docker import` (as worker/runner/build-image.sh
# does for the sandbox image), and every `docker build` runs with --network none.
# What needs the network is fetched here, on the host, by the usual clients:
# the Python wheels (pip, from requirements.txt) and the built frontend
# (`reflex export`, which runs bun). Each image is labelled with a hash of its
# inputs and rebuilt only when they change.
#
#   CLAWWEB_PUBLIC_URL=https://claw.example.com deploy/build-images.sh
#
# CLAWWEB_PUBLIC_URL is baked into the frontend (where its event socket
# connects); the web container refuses to start under another one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
venv=${CLAWWEB_VENV:-$root/.venv}
public_url=${CLAWWEB_PUBLIC_URL:-http://127.0.0.1:3000}
public_url=${public_url%/}
base=clawweb-deploy-base:bookworm
# One base for all three images: the layers are shared, so it is on disk once.
packages=python3,python3-venv,git,ca-certificates,e2fsprogs,mount,util-linux,procps,redis-server,postgresql-15,postgresql-client-15
say() { printf '\033[1;36m==>\033[0m %s\n' "$*"; }

labelled() {  # image, label value: true when the image exists with that label
  [ "$(docker image inspect -f '{{ index .Config.Labels "clawweb.inputs" }}' "$1" 2>/dev/null)" = "$2" ]
}

build() {  # docker build without the network; the legacy builder's notice is noise
  docker build -q --network none "$@" >/dev/null \
    2> >(grep -v -e '^DEPRECATED: The legacy builder' -e 'buildx' -e '^ *$' >&2)
}

temps=() bg=""
cleanup() { [ -z "$bg" ] || kill "$bg" 2>/dev/null || true; rm -rf "${temps[@]}"; }
trap cleanup EXIT

base_image() {
  docker image inspect "$base" >/dev/null 2>&1 && return
  say "building the Debian base with debootstrap (a few minutes)"
  local rootfs
  rootfs=$(mktemp -d /var/tmp/clawweb-deploy-rootfs.XXXXXX)
  temps+=("$rootfs")
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
  rm -rf "$rootfs"
}

service_images() {  # Redis and PostgreSQL: the base plus a start script.
  local svc hash ctx
  for svc in redis postgres; do
    hash=$( { echo "$packages"; cat "$here/$svc.Dockerfile" "$here/$svc-start.sh"; } | sha256sum | cut -c1-16)
    if labelled "clawweb-$svc" "$hash"; then echo "clawweb-$svc is up to date"; continue; fi
    ctx=$(mktemp -d /var/tmp/clawweb-ctx.XXXXXX)
    temps+=("$ctx")
    cp "$here/$svc.Dockerfile" "$here/$svc-start.sh" "$ctx/"
    build --label "clawweb.inputs=$hash" -f "$ctx/$svc.Dockerfile" -t "clawweb-$svc" "$ctx"
    say "built clawweb-$svc"
  done
}

# React Router gives each prerendered page a fixed 10 s (not configurable); on a
# machine busy with other work a page can miss it, which is no fault of the code:
# that failure is tried again, any other fails the build. scripts/test runs this
# build at low priority beside the tests, where a starved prerender can miss its
# 10 s every time, so the tries after a timeout run at the normal priority again
# (when we may raise it: root).
export_frontend() {  # $1: the build context
  local log="$1/export.log" n prio=()
  for n in 1 2 3; do
    if "${prio[@]}" "$venv/bin/reflex" export --frontend-only --no-zip --loglevel warning \
        >"$log" 2>&1; then
      return 0
    fi
    grep -q "Prerender: Request" "$log" || break
    say "the frontend's prerender timed out (a busy machine): building it again ($n of 3)"
    local niceness; niceness=$(nice)
    if [ "$(id -u)" = 0 ] && [ "$niceness" -gt 0 ]; then prio=(nice -n "-$niceness"); fi
  done
  cat "$log" >&2
  return 1
}

app_context() {  # $1: the build context: wheels fetched and the frontend built here
  local ctx=$1
  say "fetching Python wheels"
  mkdir -p "$ctx/wheels"
  cat "${reqs[@]}" > "$ctx/requirements.txt"
  # The machine's pip config may name local indexes that are absent; their
  # warnings are noise, real errors still fail the step.
  "$venv/bin/pip" wheel -q --disable-pip-version-check -w "$ctx/wheels" -r "$ctx/requirements.txt" \
    2> >(grep -v "^WARNING: Location '" >&2)
  say "building the frontend for $public_url (a few minutes)"
  mkdir -p "$ctx/app/deploy"
  for d in clawweb worker assets reflex.lock; do
    (cd "$root" && tar -c --exclude=__pycache__ --exclude=.web --exclude=.states "$d") | tar -C "$ctx/app" -x
  done
  cp "$root/rxconfig.py" "$ctx/app/"
  cp "$here/entrypoint.sh" "$here/serve_web.py" "$ctx/app/deploy/"
  (
    cd "$ctx/app"
    export REFLEX_USE_SYSTEM_BUN=1 DISABLE_TELEMETRY=1 CLAWWEB_PUBLIC_URL="$public_url" \
      CLAWWEB_HOST=0.0.0.0 CLAWWEB_PORT=3000 CLAWWEB_DATA_DIR="$ctx/build-data"
    export_frontend "$ctx"
  )
  rm -rf "$ctx/app/.web/node_modules" "$ctx/build-data"
  printf '%s\n' "$public_url" > "$ctx/app/.web/clawweb-public-url"
  cp "$here/app.Dockerfile" "$ctx/Dockerfile"
}

# The app (web, worker, migrate): the code, a virtualenv from wheels fetched
# here, and the frontend built here for $public_url.
reqs=("$root/requirements.txt" "$here/requirements-image.txt")
# psycopg for PostgreSQL, unless requirements.txt already pins it.
grep -qi '^psycopg' "$root/requirements.txt" || reqs+=("$here/requirements-postgres.txt")
hash=$( { echo "$packages $public_url"; cat "${reqs[@]}";
          cd "$root" && find clawweb worker assets reflex.lock rxconfig.py deploy/app.Dockerfile \
            deploy/entrypoint.sh deploy/serve_web.py -type f ! -path '*/__pycache__/*' \
            ! -path '*/.web/*' -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)

# The app's context (pip, then bun: CPU) is made while the base is debootstrapped
# (mostly download and unpacking): on a clean machine that saves minutes.
ctx=""
if ! labelled clawweb-app "$hash"; then
  ctx=$(mktemp -d /var/tmp/clawweb-ctx.XXXXXX)
  temps+=("$ctx")
  app_context "$ctx" & bg=$!
fi
base_image
service_images
if [ -z "$ctx" ]; then echo "clawweb-app is up to date"; exit 0; fi
wait "$bg"; bg=""
build --label "clawweb.inputs=$hash" --label "clawweb.public_url=$public_url" -t clawweb-app "$ctx"
say "built clawweb-app (frontend for $public_url)"
