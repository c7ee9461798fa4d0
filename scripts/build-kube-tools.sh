#!/usr/bin/env bash
# Builds Kubernetes (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy,
# kubectl) and etcd into .cache/bin from the Go module proxy, at the versions pinned in
# scripts/tool-versions.env, only when missing. `go install` refuses k8s.io/kubernetes (its go.mod
# replaces the k8s.io/* modules with ./staging paths), so a throwaway wrapper module requires it and
# replaces each staging module with its published v0.x build; etcd's server module likewise gets its
# sibling modules at the same version.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tool-versions.env
BIN="$PWD/.cache/bin"
WORK="$PWD/.cache/kube-build"
mkdir -p "$BIN"

KUBE_COMMANDS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl"
if [ "$(cat "$BIN/kubernetes.version" 2>/dev/null)" != "$KUBERNETES_VERSION $KUBE_COMMANDS" ]; then
  echo "build-kube-tools: $KUBE_COMMANDS $KUBERNETES_VERSION"
  rm -rf "$WORK/kubernetes" && mkdir -p "$WORK/kubernetes" && cd "$WORK/kubernetes"
  staging="v0.${KUBERNETES_VERSION#v1.}"
  mod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module tcp-echo.local/kubernetes"
    echo "go 1.24"
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/.*#replace \1 => \1 '"$staging"'#p' "$mod"
  } > go.mod
  {
    echo "package main"
    for command in $KUBE_COMMANDS; do echo "import _ \"k8s.io/kubernetes/cmd/$command\""; done
  } > tools.go
  go mod tidy >/dev/null 2>&1 || go mod tidy
  version_flags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"
  for command in $KUBE_COMMANDS; do
    CGO_ENABLED=0 go build -ldflags "$version_flags" -o "$BIN/$command" "k8s.io/kubernetes/cmd/$command"
  done
  echo "$KUBERNETES_VERSION $KUBE_COMMANDS" > "$BIN/kubernetes.version"
  cd - >/dev/null
fi

if [ "$(cat "$BIN/etcd.version" 2>/dev/null)" != "$ETCD_VERSION" ]; then
  echo "build-kube-tools: etcd $ETCD_VERSION"
  rm -rf "$WORK/etcd" && mkdir -p "$WORK/etcd" && cd "$WORK/etcd"
  {
    echo "module tcp-echo.local/etcd"
    echo "go 1.24"
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    for sibling in api/v3 client/pkg/v3 client/v3 pkg/v3; do
      echo "replace go.etcd.io/etcd/$sibling => go.etcd.io/etcd/$sibling $ETCD_VERSION"
    done
  } > go.mod
  echo 'package main; import _ "go.etcd.io/etcd/server/v3"' > tools.go
  go mod tidy >/dev/null 2>&1 || go mod tidy
  CGO_ENABLED=0 go build -o "$BIN/etcd" go.etcd.io/etcd/server/v3
  echo "$ETCD_VERSION" > "$BIN/etcd.version"
  cd - >/dev/null
fi

# The CRDs the tests apply, from the Go modules that publish them: Istio's (from the istio.io/istio
# version pinned for its tcp-echo), Gateway API's Gateway and TCPRoute on both channels, Argo Rollouts'
# and Flagger's.
CRDS="$PWD/.cache/crds"
if [ "$(cat "$CRDS/versions" 2>/dev/null)" != "$ISTIO_VERSION $GATEWAY_API_VERSION" ] || [ ! -f "$CRDS/gateway-api-experimental-all.yaml" ]; then
  echo "build-kube-tools: CRDs of Istio $ISTIO_VERSION and Gateway API $GATEWAY_API_VERSION"
  mkdir -p "$CRDS"
  istio=$(go mod download -json "istio.io/istio@$ISTIO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  gateway=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  install -m 644 "$istio/manifests/charts/base/files/crd-all.gen.yaml" "$CRDS/istio.yaml"
  for channel in standard experimental; do
    install -m 644 "$gateway/config/crd/$channel/gateway.networking.k8s.io_tcproutes.yaml" "$CRDS/gateway-api-$channel-tcproutes.yaml"
    install -m 644 "$gateway/config/crd/$channel/gateway.networking.k8s.io_gateways.yaml" "$CRDS/gateway-api-$channel-gateways.yaml"
  done
  # Every CRD of the experimental channel, for a Gateway API implementation (Traefik watches them all).
  for crd in "$gateway"/config/crd/experimental/gateway.networking.k8s.io_*.yaml; do
    case "$crd" in *_vap_*) continue ;; esac
    echo "---"
    cat "$crd"
  done > "$CRDS/gateway-api-experimental-all.yaml"
  echo "$ISTIO_VERSION $GATEWAY_API_VERSION" > "$CRDS/versions"
fi
if [ "$(cat "$CRDS/canary-versions" 2>/dev/null)" != "$ARGO_ROLLOUTS_VERSION $FLAGGER_VERSION" ]; then
  echo "build-kube-tools: CRDs of Argo Rollouts $ARGO_ROLLOUTS_VERSION and Flagger $FLAGGER_VERSION"
  argo=$(go mod download -json "github.com/argoproj/argo-rollouts@$ARGO_ROLLOUTS_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  flagger=$(go mod download -json "github.com/fluxcd/flagger@$FLAGGER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  for crd in rollout analysis-template analysis-run; do
    install -m 644 "$argo/manifests/crds/$crd-crd.yaml" "$CRDS/argo-rollouts-$crd.yaml"
  done
  install -m 644 "$flagger/artifacts/flagger/crd.yaml" "$CRDS/flagger.yaml"
  echo "$ARGO_ROLLOUTS_VERSION $FLAGGER_VERSION" > "$CRDS/canary-versions"
fi
