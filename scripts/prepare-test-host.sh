#!/usr/bin/env bash
# Installs and starts what the test suite needs beyond npm packages, and only what is missing, so it is
# cheap to run again: HAProxy and nginx (stream module) as real L4 gateways, Docker's engine (started in
# the background), containerd, runc, the CNI plugins, conntrack and ipset for the local cluster's node, and the
# Go tools (scripts/build-go-tools.sh: Helm, Istio's own tcp-echo for the differential test, fortio and
# the benchmark's peers; scripts/build-kube-tools.sh: Kubernetes and etcd; scripts/build-cluster-tools.sh:
# Traefik, CoreDNS and the pause program). Needs root (apt-get) the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache

missing=()
command -v haproxy >/dev/null || missing+=(haproxy)
command -v nginx >/dev/null || missing+=(nginx-light)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
command -v dockerd >/dev/null || missing+=(docker.io)
command -v python3 >/dev/null || missing+=(python3)
command -v script >/dev/null || missing+=(bsdutils)
command -v chromium >/dev/null || missing+=(chromium)
# xmllint validates the prober's --junit files against Ant's JUnit schema (test/junit-report.test.ts).
command -v xmllint >/dev/null || missing+=(libxml2-utils)
command -v iptables >/dev/null || missing+=(iptables)
# The local cluster's node (scripts/local-cluster.sh): its container runtime, CNI plugins and conntrack.
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v conntrack >/dev/null || missing+=(conntrack)
# kube-router's NetworkPolicy firewall (the chart's NetworkPolicy test) keeps its sets in ipset.
command -v ipset >/dev/null || missing+=(ipset)
if [ ${#missing[@]} -gt 0 ]; then
  echo "prepare-test-host: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/build-go-tools.sh
scripts/build-kube-tools.sh
scripts/build-cluster-tools.sh

# The suite opens several hundred thousand loopback connections within minutes. Once dockerd has loaded
# netfilter, each is tracked, and the conntrack table (262,144 entries here, TIME_WAIT kept 120 s) fills:
# the kernel then drops SYNs and every test sees connect timeouts (dmesg: "nf_conntrack: table full").
# Loopback traffic needs no tracking (Docker's NAT skips 127.0.0.0/8; published ports go through
# docker-proxy), so it is exempted, once.
for chain in "PREROUTING -i lo" "OUTPUT -o lo"; do
  # shellcheck disable=SC2086
  iptables -t raw -C $chain -j CT --notrack 2>/dev/null || iptables -t raw -I $chain -j CT --notrack
done

if ! docker info >/dev/null 2>&1; then
  echo "prepare-test-host: starting dockerd (log: .cache/dockerd.log)"
  nohup dockerd > .cache/dockerd.log 2>&1 &
  # Kept so that whoever started the test host (.ci/run) stops this dockerd, and only it.
  echo $! > .cache/dockerd.pid
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "prepare-test-host: dockerd did not start; see .cache/dockerd.log" >&2; exit 1; }
fi
