#!/usr/bin/env bash
# Installs and starts what the test suite needs beyond npm packages, and only what is missing, so it is
# cheap to run again: HAProxy and nginx (stream module) as real L4 gateways, Docker's engine, Helm, and
# Istio's own Go tcp-echo for the differential test. Needs root (apt-get) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tool-versions.env

BIN="$PWD/.cache/bin"
mkdir -p "$BIN"

missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v nginx >/dev/null || missing+=(nginx-light)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
command -v dockerd >/dev/null || missing+=(docker.io)
if [ ${#missing[@]} -gt 0 ]; then
  echo "prepare-test-host: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$BIN/helm" ] || ! "$BIN/helm" version --short | grep -q "^$HELM_VERSION"; then
  echo "prepare-test-host: building helm $HELM_VERSION"
  GOBIN="$BIN" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

if [ ! -x "$BIN/istio-tcp-echo" ] || [ "$(cat "$BIN/istio-tcp-echo.version" 2>/dev/null)" != "$ISTIO_VERSION" ]; then
  echo "prepare-test-host: building Istio's tcp-echo at $ISTIO_VERSION"
  GOBIN="$BIN/istio" go install "istio.io/istio/samples/tcp-echo/src@$ISTIO_VERSION"
  mv "$BIN/istio/src" "$BIN/istio-tcp-echo" && rmdir "$BIN/istio"
  echo "$ISTIO_VERSION" > "$BIN/istio-tcp-echo.version"
fi

if ! docker info >/dev/null 2>&1; then
  echo "prepare-test-host: starting dockerd (log: .cache/dockerd.log)"
  nohup dockerd > .cache/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "prepare-test-host: dockerd did not start; see .cache/dockerd.log" >&2; exit 1; }
fi
