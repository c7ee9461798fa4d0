#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for the tutorial and the tests:
#
#   scripts/local-cluster.sh up       # builds what is missing, starts the cluster, waits for Traefik and DNS
#   scripts/local-cluster.sh status   # exit 0 when up; prints the node, the kubeconfig and the gateway
#   scripts/local-cluster.sh down     # removes everything up made, even after a failed up
#
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd, kubelet and kube-proxy run
# as processes inside one network namespace made for the cluster; CoreDNS, Traefik (the Gateway API
# implementation) and Argo Rollouts' controller run in it as Deployments, with their RBAC, as users
# install them; Gateway API's, Istio's and Flagger's CRDs are installed (no Istio control plane). The host reaches the node
# at NODE_IP over a veth pair; the namespace has no default route, so nothing in it reaches beyond this
# machine. No registry is used: every image is made here and imported into containerd.
#
# Exit codes: 0 done; 1 a step failed (its log is named; up then removes what it made), or down could
# not remove everything (it goes on with every other step, then names what is left); 2 not possible
# here (not root, no cgroup v1, a tool missing, the cluster's addresses taken, already up).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$repo/scripts/tool-versions.env"
BIN="$repo/.cache/bin"
STATE=${TCP_ECHO_CLUSTER_STATE:-/var/lib/tcp-echo-cluster}
# Another name keeps a second instance's network namespace and cgroups apart (the script's own tests).
NAME=${TCP_ECHO_CLUSTER_NAME:-tcp-echo-cluster}
NETNS=$NAME
if [ "$NAME" = tcp-echo-cluster ]; then
  HOST_IF=tce-host
  NODE_IF=tce-node
else
  HOST_IF=${NAME:0:12}-h
  NODE_IF=${NAME:0:12}-n
fi
HOST_IP=10.231.0.1
NODE_IP=10.231.0.2
POD_CIDR=10.232.0.0/24
SERVICE_CIDR=10.233.0.0/24
API_SERVICE_IP=10.233.0.1
DNS_IP=10.233.0.10
NODE_NAME=tcp-echo-node
GATEWAY_PORT=31400
CGROUP=$NAME
# Where the cgroup hierarchies are mounted (another mount of them in the script's own tests).
CGROUPS=${TCP_ECHO_CLUSTER_CGROUPS:-/sys/fs/cgroup}
SOCK="$STATE/containerd/containerd.sock"
# What the kubelet sets on the whole machine, saved by up and put back by down.
KERNEL_SETTINGS="kernel.panic kernel.panic_on_oops vm.overcommit_memory kernel.keys.root_maxkeys kernel.keys.root_maxbytes"

say() { echo "local-cluster: $*" >&2; }
refuse() { say "$*"; exit 2; }
in_ns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
kubectl() { "$BIN/kubectl" --kubeconfig "$STATE/admin.kubeconfig" "$@"; }

# Starts a long-running process inside the namespace, its output in logs/NAME.log, its PID in pids/.
start() {
  local name=$1
  shift
  nohup nsenter --net="/run/netns/$NETNS" -- "$@" > "$STATE/logs/$name.log" 2>&1 &
  echo $! > "$STATE/pids/$name.pid"
}

# Polls `check` (a command) every 0.2 s for at most `seconds`; names what never came and its log.
wait_for() {
  local what=$1 seconds=$2 log=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      say "$what not ready after ${seconds}s; see $log"
      tail -n 5 "$log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.2
  done
}

preflight() {
  [ "$(id -u)" = 0 ] || refuse "must run as root (it makes a network namespace, mounts and cgroups)"
  # The kubelet here runs on cgroup v1 (its pids, cpuset, … hierarchies): a unified-only host has none.
  [ -d "$CGROUPS/pids" ] && [ -d "$CGROUPS/cpuset" ] ||
    refuse "needs cgroup v1 (pids and cpuset hierarchies under $CGROUPS); this host has only cgroup v2 ($(stat -fc %T "$CGROUPS"))"
  local tool
  for tool in containerd containerd-shim-runc-v2 runc ctr iptables conntrack nsenter ip openssl docker; do
    command -v "$tool" >/dev/null || refuse "$tool is missing (Debian: containerd runc iptables conntrack util-linux iproute2 openssl docker.io)"
  done
  for tool in bridge host-local loopback portmap; do
    [ -x "/usr/lib/cni/$tool" ] || refuse "the CNI plugin /usr/lib/cni/$tool is missing (Debian: containernetworking-plugins)"
  done
  docker info >/dev/null 2>&1 || refuse "Docker's engine is not running (it builds the images; scripts/prepare-test-host.sh starts one)"
  [ ! -e "/run/netns/$NETNS" ] || refuse "already up (network namespace $NETNS exists); run: $0 down"
  [ ! -e "$STATE" ] || refuse "$STATE is left from an earlier run; run: $0 down"
  ! ip -4 route show | grep -q "^${HOST_IP%.*}\." ||
    refuse "the cluster's network ${HOST_IP%.*}.0/24 is already routed on this machine"
}

# Both build only what is missing (or pinned at another version), so this is cheap once built.
build_tools() {
  "$repo/scripts/build-kube-tools.sh"
  "$repo/scripts/build-cluster-tools.sh"
}

# A CA of the cluster's own, and an x509 client certificate for each component (its user and groups
# are what Node and RBAC authorization see), a kubelet serving certificate the API server verifies.
make_certificates() {
  local pki="$STATE/pki"
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=tcp-echo-cluster-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  issue() { # name subject [subjectAltName]
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null
    if [ -n "${3:-}" ]; then printf 'subjectAltName=%s\n' "$3" > "$pki/$1.ext"; else : > "$pki/$1.ext"; fi
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -days 30 -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
  }
  issue apiserver "/CN=kube-apiserver" \
    "IP:$NODE_IP,IP:$API_SERVICE_IP,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  issue admin "/O=system:masters/CN=admin"
  issue kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME"
  issue kubelet-serving "/CN=$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
  issue kube-proxy "/CN=system:kube-proxy"
  issue controller-manager "/CN=system:kube-controller-manager"
  issue scheduler "/CN=system:kube-scheduler"
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  local who
  for who in admin kubelet-client kube-proxy controller-manager scheduler; do
    cat > "$STATE/$who.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: tcp-echo-cluster
    cluster: {server: "https://$NODE_IP:6443", certificate-authority: "$pki/ca.crt"}
users:
  - name: $who
    user: {client-certificate: "$pki/$who.crt", client-key: "$pki/$who.key"}
contexts:
  - name: $who
    context: {cluster: tcp-echo-cluster, user: $who, namespace: default}
current-context: $who
YAML
  done
}

make_network() {
  ip netns add "$NETNS"
  ip link add "$HOST_IF" type veth peer name "$NODE_IF"
  ip link set "$NODE_IF" netns "$NETNS"
  ip addr add "$HOST_IP/24" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  in_ns ip addr add "$NODE_IP/24" dev "$NODE_IF"
  in_ns ip link set "$NODE_IF" up
  in_ns ip link set lo up
  # The node's own connections to Services need a route to their range (kube-proxy rewrites them to a
  # pod's address after the route is chosen); the namespace has no default route to take instead.
  in_ns ip route add "$SERVICE_CIDR" dev "$NODE_IF"
  # Forwarding inside the namespace only: pods reach Services and each other through the node.
  in_ns sysctl -qw net.ipv4.ip_forward=1
  # Pods reach the node and each other; anything else they send (to the host's veth side, say) is refused.
  in_ns iptables -I FORWARD -o "$NODE_IF" -j REJECT --reject-with icmp-net-prohibited
}

start_control_plane() {
  local pki="$STATE/pki"
  start etcd "$BIN/etcd" --data-dir="$STATE/etcd" --listen-client-urls=http://127.0.0.1:2379 \
    --advertise-client-urls=http://127.0.0.1:2379 --listen-peer-urls=http://127.0.0.1:2380 \
    --initial-advertise-peer-urls=http://127.0.0.1:2380 --initial-cluster=default=http://127.0.0.1:2380 \
    --log-level=warn
  start kube-apiserver "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --advertise-address="$NODE_IP" --bind-address=0.0.0.0 --secure-port=6443 \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" --kubelet-certificate-authority="$pki/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction --allow-privileged=false --v=0
  wait_for "kube-apiserver" 60 "$STATE/logs/kube-apiserver.log" kubectl get --raw /readyz
  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$STATE/controller-manager.kubeconfig" --leader-elect=false \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials=true --service-cluster-ip-range="$SERVICE_CIDR" \
    --cluster-cidr="$POD_CIDR" --allocate-node-cidrs=false --v=0
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$STATE/scheduler.kubeconfig" --leader-elect=false --v=0
}

start_node() {
  local pki="$STATE/pki"
  mkdir -p "$STATE/containerd" "$STATE/cni/net.d" "$STATE/kubelet"
  # A socket and state of its own, so that a running dockerd (which starts its own containerd) and this
  # one never meet. No AppArmor here; root lacks CAP_SYS_RESOURCE, so OOM score changes are capped.
  cat > "$STATE/containerd/config.toml" <<TOML
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "tcp-echo-local/pause:local"
  restrict_oom_score_adj = true
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
TOML
  cat > "$STATE/cni/net.d/10-tcp-echo.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "tcp-echo-cluster",
  "plugins": [
    {
      "type": "bridge", "bridge": "tce-pods", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
               "dataDir": "$STATE/cni/ipam"}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
  start containerd containerd --config "$STATE/containerd/config.toml"
  wait_for "containerd" 30 "$STATE/logs/containerd.log" ctr --address "$SOCK" version
  import_images

  # The kubelet keeps its pods under a cgroup of the cluster's own, which down removes.
  local hierarchy
  for hierarchy in "$CGROUPS"/*/; do
    [ -e "$hierarchy/cgroup.procs" ] && [ "$hierarchy" != "$CGROUPS/unified/" ] || continue
    mkdir -p "$hierarchy$CGROUP"
  done
  cat "$CGROUPS/cpuset/cpuset.cpus" > "$CGROUPS/cpuset/$CGROUP/cpuset.cpus"
  cat "$CGROUPS/cpuset/cpuset.mems" > "$CGROUPS/cpuset/$CGROUP/cpuset.mems"

  local setting
  for setting in $KERNEL_SETTINGS; do
    echo "$setting=$(sysctl -n "$setting")"
  done > "$STATE/kernel-settings.saved"
  echo "nameserver $DNS_IP" > "$STATE/resolv.conf"
  # cgroup v1 without systemd as PID 1: cgroupfs. No swap accounting, no OOM score changes allowed.
  cat > "$STATE/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$pki/kubelet-serving.crt"
tlsPrivateKeyFile: "$pki/kubelet-serving.key"
containerRuntimeEndpoint: "unix://$SOCK"
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: "$STATE/resolv.conf"
podCIDR: $POD_CIDR
maxPods: 40
# The images are made here and cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
YAML
  start kubelet "$BIN/kubelet" --config="$STATE/kubelet/config.yaml" \
    --kubeconfig="$STATE/kubelet-client.kubeconfig" --root-dir="$STATE/kubelet" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=0
  cat > "$STATE/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: "$STATE/kube-proxy.kubeconfig"}
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
clusterCIDR: $POD_CIDR
nodePortAddresses: ["$NODE_IP/32"]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Service traffic is masqueraded to the node, so replies between pods on one bridge come back through it.
iptables: {masqueradeAll: true}
# The connection-tracking table is the whole machine's: leave its size and timeouts alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
  start kube-proxy "$BIN/kube-proxy" --config="$STATE/kube-proxy.yaml" --v=0
  wait_for "the node" 90 "$STATE/logs/kubelet.log" \
    kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
}

# docker save of an image made from a root filesystem, imported into the cluster's containerd.
import_rootfs_image() { # tag root entrypoint [user]
  tar -C "$2" -c . | docker import --change "ENTRYPOINT $3" --change "USER ${4:-0}" - "$1" >/dev/null
  docker save "$1" | ctr --address "$SOCK" -n k8s.io images import - >/dev/null
}

import_images() {
  local root="$STATE/images"
  # Down removes these Docker images only for an instance that made them.
  touch "$STATE/images.made"
  mkdir -p "$root/pause" "$root/coredns" "$root/traefik/tmp" "$root/argo-rollouts/bin" "$root/argo-rollouts/home/argo-rollouts"
  chmod 1777 "$root/traefik/tmp"
  cp "$BIN/pause" "$root/pause/pause"
  cp "$BIN/coredns" "$root/coredns/coredns"
  cp "$BIN/traefik" "$root/traefik/traefik"
  cp "$BIN/rollouts-controller" "$root/argo-rollouts/bin/rollouts-controller"
  import_rootfs_image tcp-echo-local/pause:local "$root/pause" '["/pause"]'
  import_rootfs_image "tcp-echo-local/coredns:$COREDNS_VERSION" "$root/coredns" '["/coredns"]'
  import_rootfs_image "tcp-echo-local/traefik:$TRAEFIK_VERSION" "$root/traefik" '["/traefik"]'
  # As Argo's own image: the controller at /bin, user 999 (its Deployment requires a non-root user).
  import_rootfs_image "tcp-echo-local/argo-rollouts:$ARGO_ROLLOUTS_VERSION" "$root/argo-rollouts" \
    '["/bin/rollouts-controller"]' 999
  rm -rf "$root"
  # The project's image, from its Dockerfile on the stand-in Node base (no registry to pull node:20 from).
  # Made again when it lacks `sleep` (the chart's preStop hook), as stand-ins made before it was added do.
  docker run --rm --entrypoint /bin/sleep tcp-echo-local/node:20 0 >/dev/null 2>&1 ||
    "$repo/scripts/make-local-node-base.sh" >/dev/null
  docker build -q --build-arg BASE_IMAGE=tcp-echo-local/node:20 -t tcp-echo-local/tcp-echo:dev "$repo" > "$STATE/logs/image.log" 2>&1 ||
    { say "the project's image did not build; see $STATE/logs/image.log"; return 1; }
  docker save tcp-echo-local/tcp-echo:dev | ctr --address "$SOCK" -n k8s.io images import - >/dev/null
}

start_addons() {
  kubectl apply --server-side -f "$repo/.cache/crds/gateway-api-experimental-all.yaml" >/dev/null
  # Istio's CRDs (no control plane): Argo Rollouts' Istio traffic router looks for them once, at its start.
  kubectl apply --server-side -f "$repo/.cache/crds/istio.yaml" >/dev/null
  # Flagger's CRDs: its controller (.cache/bin/flagger) is started by the tests that use it.
  kubectl apply --server-side -f "$repo/.cache/crds/flagger.yaml" >/dev/null
  kubectl wait --for=condition=Established crd --all --timeout=60s >/dev/null
  sed -e "s|@DNS_IP@|$DNS_IP|g" -e "s|@COREDNS_VERSION@|$COREDNS_VERSION|g" \
    "$repo/scripts/local-cluster/coredns.yaml" | kubectl apply -f - >/dev/null
  sed -e "s|@NODE_IP@|$NODE_IP|g" -e "s|@TRAEFIK_VERSION@|$TRAEFIK_VERSION|g" -e "s|@GATEWAY_PORT@|$GATEWAY_PORT|g" \
    "$repo/scripts/local-cluster/traefik.yaml" | kubectl apply -f - >/dev/null
  # Argo Rollouts as its install.yaml has it, the image made here instead of quay.io's.
  kubectl create namespace argo-rollouts >/dev/null
  sed -e "s|image: quay.io/argoproj/argo-rollouts:latest|image: tcp-echo-local/argo-rollouts:$ARGO_ROLLOUTS_VERSION|" \
    -e "s|imagePullPolicy: Always|imagePullPolicy: Never|" "$repo/.cache/crds/argo-rollouts-install.yaml" |
    kubectl apply --server-side -n argo-rollouts -f - >/dev/null
  wait_for "CoreDNS" 120 "$STATE/logs/kubelet.log" \
    kubectl -n kube-system wait --for=condition=Available deployment/coredns --timeout=2s
  wait_for "Traefik" 120 "$STATE/logs/kubelet.log" \
    kubectl -n traefik wait --for=condition=Available deployment/traefik --timeout=2s
  wait_for "Argo Rollouts" 120 "$STATE/logs/kubelet.log" \
    kubectl -n argo-rollouts wait --for=condition=Available deployment/argo-rollouts --timeout=2s
}

up() {
  preflight
  build_tools
  local began=$SECONDS
  trap 'status=$?; [ $status = 0 ] || { say "up failed; removing what it made"; down >/dev/null 2>&1 || true; }' EXIT
  mkdir -p "$STATE/logs" "$STATE/pids"
  make_network
  make_certificates
  start_control_plane
  start_node
  start_addons
  trap - EXIT
  cat > "$STATE/cluster.env" <<ENV
KUBECONFIG=$STATE/admin.kubeconfig
NODE_IP=$NODE_IP
GATEWAY_PORT=$GATEWAY_PORT
NETNS=$NETNS
NODE_NAME=$NODE_NAME
SERVICE_CIDR=$SERVICE_CIDR
ENV
  say "up in $((SECONDS - began)) s: node $NODE_NAME at $NODE_IP, Traefik's gateway entry point at $NODE_IP:$GATEWAY_PORT"
  say "export KUBECONFIG=$STATE/admin.kubeconfig"
}

# Stops a process started by `start` and waits for it to go.
stop() {
  local file="$STATE/pids/$1.pid" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

# Each step goes on when another could not finish; what is left is named at the end, and down exits 1.
down() {
  [ "$(id -u)" = 0 ] || refuse "must run as root"
  local left=()
  stop kube-proxy
  stop kubelet
  # Every container's processes, by the cluster's cgroup, then the shims that ran them.
  local procs=$CGROUPS/pids/$CGROUP pid
  if [ -d "$procs" ]; then
    find "$procs" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done
    # A killed process leaves its cgroup a moment later.
    for _ in $(seq 1 50); do
      [ -z "$(find "$procs" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  pkill -9 -f "containerd-shim-runc-v2 -namespace k8s.io .*-address $SOCK" 2>/dev/null || true
  stop containerd
  stop kube-scheduler
  stop kube-controller-manager
  stop kube-apiserver
  stop etcd
  # Mounts under the state directory, deepest first: pod volumes, container root filesystems and the
  # pods' network namespaces (containerd keeps them there: netns_mounts_under_state_dir).
  awk -v state="$STATE" '$2 ~ "^"state"/" { print $2 }' /proc/mounts | sort -r | while read -r mount; do
    umount -l "$mount" 2>/dev/null || true
  done
  local hierarchy busy
  for hierarchy in "$CGROUPS"/*/; do
    [ -d "$hierarchy$CGROUP" ] || continue
    find "$hierarchy$CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true
    if [ -d "$hierarchy$CGROUP" ]; then
      busy=$(find "$hierarchy$CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' ')
      left+=("cgroup $hierarchy$CGROUP (processes: ${busy:-none})")
    fi
  done
  if [ -f "$STATE/kernel-settings.saved" ]; then
    local setting
    while read -r setting; do sysctl -qw "$setting" || left+=("kernel setting $setting"); done < "$STATE/kernel-settings.saved"
  fi
  # The images up made in Docker from binaries (the project's image tcp-echo-local/tcp-echo:dev stays, as
  # any build of the Dockerfile would: rebuilding it means a fresh npm ci).
  if [ -f "$STATE/images.made" ]; then
    docker rmi tcp-echo-local/pause:local "tcp-echo-local/coredns:$COREDNS_VERSION" \
      "tcp-echo-local/traefik:$TRAEFIK_VERSION" "tcp-echo-local/argo-rollouts:$ARGO_ROLLOUTS_VERSION" \
      >/dev/null 2>&1 || true
  fi
  ip link del "$HOST_IF" 2>/dev/null || true
  if [ -e "/run/netns/$NETNS" ]; then
    ip netns del "$NETNS" 2>/dev/null || left+=("network namespace $NETNS")
  fi
  rm -rf "$STATE" 2>/dev/null || true
  [ ! -e "$STATE" ] || left+=("$STATE (mounts: $(awk -v state="$STATE" '$2 ~ "^"state"/"' /proc/mounts | wc -l))")
  if [ ${#left[@]} -gt 0 ]; then
    say "down: could not remove: $(IFS=';'; echo "${left[*]}")"
    exit 1
  fi
  say "down: nothing of the cluster is left"
}

status() {
  [ -f "$STATE/cluster.env" ] || { say "not up"; return 1; }
  cat "$STATE/cluster.env"
  kubectl get nodes -o wide
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
