#!/usr/bin/env bash
# Builds the Go tools the tests and the benchmark use into .cache/bin, at the versions pinned in
# scripts/tool-versions.env, only when missing: helm, Istio's own tcp-echo, fortio, the benchmark's Go
# peers (bench/go) and the tests' runner of Istio's control-plane code (test/istio-control-plane, pinned
# by its go.mod and go.sum to ISTIO_VERSION). Needs only the Go toolchain and the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tool-versions.env
BIN="$PWD/.cache/bin"
mkdir -p "$BIN"

# `go install` builds carry no version stamp, so a file beside each binary records what was built.
if [ "$(cat "$BIN/helm.version" 2>/dev/null)" != "$HELM_VERSION" ]; then
  echo "build-go-tools: helm $HELM_VERSION"
  GOBIN="$BIN" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "$HELM_VERSION" > "$BIN/helm.version"
fi

if [ "$(cat "$BIN/istio-tcp-echo.version" 2>/dev/null)" != "$ISTIO_VERSION" ]; then
  echo "build-go-tools: Istio's tcp-echo at $ISTIO_VERSION"
  GOBIN="$BIN/istio" go install "istio.io/istio/samples/tcp-echo/src@$ISTIO_VERSION"
  mv "$BIN/istio/src" "$BIN/istio-tcp-echo" && rmdir "$BIN/istio"
  echo "$ISTIO_VERSION" > "$BIN/istio-tcp-echo.version"
fi

if [ "$(cat "$BIN/fortio.version" 2>/dev/null)" != "$FORTIO_VERSION" ]; then
  echo "build-go-tools: fortio $FORTIO_VERSION"
  GOBIN="$BIN" go install "fortio.org/fortio@$FORTIO_VERSION"
  echo "$FORTIO_VERSION" > "$BIN/fortio.version"
fi

(cd bench/go && go build -o "$BIN/" ./...)
# Go's build cache makes this a no-op when nothing changed; the first build takes about 9 minutes of CPU
# and 3 GB of memory (istiod's code), later ones seconds.
grep -q "istio.io/istio $ISTIO_VERSION\$" test/istio-control-plane/go.mod ||
  { echo "build-go-tools: test/istio-control-plane/go.mod must require istio.io/istio $ISTIO_VERSION" >&2; exit 1; }
(cd test/istio-control-plane && go build -o "$BIN/istio-control-plane" .)
