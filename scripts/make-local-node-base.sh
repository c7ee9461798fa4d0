#!/usr/bin/env bash
# Builds and imports a local stand-in for the official Node 20 base image, from this machine's own Node 20
# and the shared libraries it needs, for building and testing the Dockerfile where no image registry can
# be reached (as in this project's CI). Users with registry access never need it: the Dockerfile's default
# BASE_IMAGE is the official image.
#
#   scripts/make-local-node-base.sh [tag]     # default tag: tcp-echo-local/node:20
set -euo pipefail
tag=${1:-tcp-echo-local/node:20}
node_bin=$(command -v node)
[ "$("$node_bin" -p 'process.versions.node.split(".")[0]')" = 20 ] || { echo "needs Node 20, found $("$node_bin" --version)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# Copies each program, following links, with every shared library ldd lists for it.
copy_with_libs() {
  for file in "$@"; do
    mkdir -p "$root$(dirname "$file")"
    cp -L "$file" "$root$file"
    for lib in $(ldd "$file" 2>/dev/null | grep -o '/[^ ]*' || true); do
      mkdir -p "$root$(dirname "$lib")"
      cp -Ln "$lib" "$root$lib"
    done
  done
}

# Node where the official image has it, npm for `npm ci` in the build stage, a shell and the few tools
# npm scripts and the Dockerfile use, and `sleep`, which the chart's preStop hook runs.
copy_with_libs "$node_bin" /bin/sh /bin/dash /usr/bin/env /bin/chmod /bin/mkdir /bin/rm /bin/cp /bin/ln /bin/cat /bin/ls /usr/bin/id /bin/sleep
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules"
mv "$root$node_bin" "$root/usr/local/bin/node" 2>/dev/null || true
npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
cp -r "$npm_root" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# The CA bundle lets npm reach the registry over TLS; users as in the official image.
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/root"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' > "$root/etc/group"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "$tag"
