#!/usr/bin/env bash
# Builds the sandbox image `clawweb-runner`. No container registry is reachable,
# so the Debian base is made with debootstrap and `docker import`; the final
# layer is a plain `docker build` that needs no network. Skips work already done:
# the image is labelled with a hash of its inputs and rebuilt only when they change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image=${CLAWWEB_RUNNER_IMAGE:-clawweb-runner}
base=clawweb-runner-base:bookworm
packages=git,bash,coreutils,python3,ca-certificates,procps,iproute2,findutils,grep,sed,less,curl,ripgrep,util-linux
claude_bin=${CLAWWEB_CLAUDE_BIN:-$(python -c 'import claude_agent_sdk,os;print(os.path.join(os.path.dirname(claude_agent_sdk.__file__),"_bundled","claude"))')}

inputs_hash=$( { cat "$here/Dockerfile" "$here/bridge.py" "$here/build-image.sh"; echo "$packages"; cat "$(dirname "$claude_bin")/claude.version" 2>/dev/null; } | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "clawweb.inputs" }}' "$image" 2>/dev/null)" = "$inputs_hash" ]; then
  echo "runner image $image is up to date"; exit 0
fi

if ! docker image inspect "$base" >/dev/null 2>&1; then
  echo "building Debian base with debootstrap (about a minute)"
  root=$(mktemp -d /var/tmp/clawweb-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include="$packages" bookworm "$root" http://deb.debian.org/debian >/dev/null
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import - "$base" >/dev/null
fi

ctx=$(mktemp -d /var/tmp/clawweb-ctx.XXXXXX)
cp "$here/Dockerfile" "$here/bridge.py" "$ctx/"
cp "$claude_bin" "$ctx/claude"
docker build -q --label "clawweb.inputs=$inputs_hash" -t "$image" "$ctx" >/dev/null
rm -rf "$ctx"
echo "built runner image $image"
