#!/usr/bin/env bash
# Builds what the local cluster (scripts/local-cluster.sh) runs in pods beside the chart, into .cache/bin,
# at the versions in scripts/tool-versions.env, only when missing: Traefik (the Gateway API
# implementation), CoreDNS (cluster DNS), Argo Rollouts' controller (with its install manifest, into
# .cache/crds), Flagger's controller, kube-router (the NetworkPolicy enforcer) and the pod sandbox's
# pause program. The Kubernetes binaries come
# from scripts/build-kube-tools.sh. Needs only the Go toolchain and the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tool-versions.env
BIN="$PWD/.cache/bin"
WORK="$PWD/.cache/cluster-build"
mkdir -p "$BIN"

if [ "$(cat "$BIN/coredns.version" 2>/dev/null)" != "$COREDNS_VERSION" ]; then
  echo "build-cluster-tools: CoreDNS $COREDNS_VERSION"
  CGO_ENABLED=0 GOBIN="$BIN" go install "github.com/coredns/coredns@$COREDNS_VERSION"
  echo "$COREDNS_VERSION" > "$BIN/coredns.version"
fi

# Traefik's go.mod replaces a nested module of its own tree (not in the module zip) and two forks, so
# `go install` refuses it: a wrapper module repeats the replaces, with stand-ins from
# scripts/local-cluster/traefik for the nested module (two empty types) and for the go-http-auth fork
# (the proxy refuses it; used only by the basic and digest auth middlewares, which then refuse every
# request). The proxy also refuses the SDKs of 13 ACME DNS-01 providers of lego: a copy of lego with
# its provider table cut to the others (those 13 are then unknown to Traefik's ACME resolver).
if [ "$(cat "$BIN/traefik.version" 2>/dev/null)" != "$TRAEFIK_VERSION" ]; then
  echo "build-cluster-tools: Traefik $TRAEFIK_VERSION"
  rm -rf "$WORK/traefik" && mkdir -p "$WORK/traefik" && cp -r scripts/local-cluster/traefik/. "$WORK/traefik/" && cd "$WORK/traefik"
  traefik_mod=$(go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  lego_version=$(sed -n 's#^\tgithub.com/go-acme/lego/v5 \(v[^ ]*\)$#\1#p' "$traefik_mod")
  mux_fork=$(sed -n 's#^\tgithub.com/gorilla/mux => \(.*\)$#\1#p' "$traefik_mod")
  lego_dir=$(go mod download -json "github.com/go-acme/lego/v5@$lego_version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  cp -r "$lego_dir" lego && chmod -R u+w lego
  refused="alidns aliesa azion dnsimple edgedns edgeone huaweicloud oraclecloud regfish sakuracloud tencentcloud ucloud yandexcloud"
  table=lego/providers/dns/zz_gen_dns_providers.go
  awk -v refused="$refused" '
    BEGIN { n = split(refused, r, " "); for (i = 1; i <= n; i++) drop[r[i]] = 1 }
    /^\t"github.com\/go-acme\/lego\/v5\/providers\/dns\/[a-z0-9]+"$/ {
      name = $0; sub(/.*\//, "", name); sub(/"$/, "", name); if (name in drop) next
    }
    /^\tcase / { held = $0; next }
    held != "" {
      name = $0; sub(/^\t\treturn /, "", name); sub(/\..*/, "", name)
      if (!(name in drop)) { print held; print }
      held = ""; next
    }
    { print }
  ' "$table" > "$table.new" && mv "$table.new" "$table"
  {
    echo "module tcp-echo.local/traefik"
    echo "go 1.26.0"
    echo "require github.com/traefik/traefik/v3 $TRAEFIK_VERSION"
    echo "replace github.com/traefik/traefik/dynamic/ext => ./dynamic-ext"
    echo "replace github.com/go-acme/lego/v5 => ./lego"
    echo "replace github.com/abbot/go-http-auth => ./go-http-auth"
    echo "replace github.com/gorilla/mux => $mux_fork"
    echo "exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible"
  } > go.mod
  echo 'package main; import _ "github.com/traefik/traefik/v3/cmd/traefik"' > tools.go
  go mod tidy >/dev/null 2>&1 || go mod tidy
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION" \
    -o "$BIN/traefik" github.com/traefik/traefik/v3/cmd/traefik
  echo "$TRAEFIK_VERSION" > "$BIN/traefik.version"
  cd - >/dev/null
fi

# Argo Rollouts' go.mod pins the k8s.io modules by replace directives, which `go install` refuses: a
# wrapper module copies its replace block verbatim.
if [ "$(cat "$BIN/rollouts-controller.version" 2>/dev/null)" != "$ARGO_ROLLOUTS_VERSION" ]; then
  echo "build-cluster-tools: Argo Rollouts $ARGO_ROLLOUTS_VERSION"
  rm -rf "$WORK/argo-rollouts" && mkdir -p "$WORK/argo-rollouts" && cd "$WORK/argo-rollouts"
  argo_mod=$(go mod download -json "github.com/argoproj/argo-rollouts@$ARGO_ROLLOUTS_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module tcp-echo.local/argo-rollouts"
    sed -n 's/^go /go /p' "$argo_mod"
    echo "require github.com/argoproj/argo-rollouts $ARGO_ROLLOUTS_VERSION"
    sed -n '/^replace (/,/^)/p' "$argo_mod"
  } > go.mod
  echo 'package main; import _ "github.com/argoproj/argo-rollouts/cmd/rollouts-controller"' > tools.go
  go mod tidy >/dev/null 2>&1 || go mod tidy
  CGO_ENABLED=0 go build -o "$BIN/rollouts-controller" github.com/argoproj/argo-rollouts/cmd/rollouts-controller
  echo "$ARGO_ROLLOUTS_VERSION" > "$BIN/rollouts-controller.version"
  cd - >/dev/null
fi
if [ ! -f .cache/crds/argo-rollouts-install.yaml ]; then
  argo=$(go mod download -json "github.com/argoproj/argo-rollouts@$ARGO_ROLLOUTS_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p .cache/crds && install -m 644 "$argo/manifests/install.yaml" .cache/crds/argo-rollouts-install.yaml
fi

# Flagger's controller, run on the node beside the cluster by the tests (its go.mod has no replaces).
if [ "$(cat "$BIN/flagger.version" 2>/dev/null)" != "$FLAGGER_VERSION" ]; then
  echo "build-cluster-tools: Flagger $FLAGGER_VERSION"
  CGO_ENABLED=0 GOBIN="$BIN" go install "github.com/fluxcd/flagger/cmd/flagger@$FLAGGER_VERSION"
  echo "$FLAGGER_VERSION" > "$BIN/flagger.version"
fi

if [ "$(cat "$BIN/kube-router.version" 2>/dev/null)" != "$KUBE_ROUTER_VERSION" ]; then
  echo "build-cluster-tools: kube-router $KUBE_ROUTER_VERSION"
  CGO_ENABLED=0 GOBIN="$BIN" go install "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"
  echo "$KUBE_ROUTER_VERSION" > "$BIN/kube-router.version"
fi

(cd scripts/local-cluster/pause && CGO_ENABLED=0 go build -o "$BIN/pause" .)
