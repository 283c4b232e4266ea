#!/usr/bin/env bash
# shoal against the system it replaces, in the same run on this machine:
# upstream Kubernetes of the same version as separate processes (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kube-proxy), built from the same modules shoal embeds into dist/upstream,
# with the same containerd v2.4.2, runc and CNI plugins shoal carries
# (dist/runtime; containerd's own cmd/containerd binary, one shim per pod
# as upstream: SHOAL_SHIM_GROUPS=0), the CNI bridge plugin with host-local
# IPAM instead of flannel (one node), CoreDNS as a pod. shoal runs with
# CoreDNS only (--disable of every other addon), one after the other in
# the same network namespace (10.93.0.2). Each row: shoal, reference,
# ratio shoal / reference.
#   - start → node Ready, → CoreDNS answers (a process start to the
#     first answer of kubernetes.default from the node)
#   - idle memory: PSS and anonymous summed over every process of the
#     cluster (shoal or the six, containerd, shims, pods)
#   - pods/min for a Deployment of 30 and with 1, 12 and 30 clients
#     (bench/podstart), CPU-seconds of the whole tree per pod started
#   - API GET p99 at 20 requests/s (bench/apiprobe), datastore create and
#     write → watch p50/p99 through the API (bench/datastore)
# The reference is torn down by `shoal killall` on its directory (every
# binary runs from there): no process, mount or link is left.
# Usage: bench/upstream.sh [IDLE_SECONDS]   (root; `make build images`)
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${1:-20}
. bench/lib.sh
TAGS=${TAGS:-selinux,notest,grpcnotrace,kustomize_disable_go_plugin_support,no_btrfs,no_devmapper,no_zfs}
UP=dist/upstream/bin
IP=10.93.0.2
mkdir -p "$UP"
V=k8s.io/component-base/version
LDFLAGS="-X $V.gitVersion=v1.37.2 -X $V.gitMajor=1 -X $V.gitMinor=37 -X $V.gitTreeState=clean"
for c in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
  [[ -x $UP/$c ]] || go build -tags "$TAGS" -ldflags "$LDFLAGS" -o "$UP/$c" "k8s.io/kubernetes/cmd/$c"
done
[[ -x $UP/etcd ]] || go build -o "$UP/etcd" ./tools/etcd
TOOLS=$(mktemp -d)
PODSTART=$TOOLS/podstart
go build -o "$PODSTART" ./bench/podstart
go build -o "$TOOLS/apiprobe" ./bench/apiprobe
go build -o "$TOOLS/datastore" ./bench/datastore
[[ -x dist/runtime/containerd ]] || { echo "dist/runtime missing: make build"; exit 1; }

# tree_ns: every process in the namespace and their descendants (the
# pods' processes have network namespaces of their own).
tree_ns() {
  local roots
  roots=$(ip netns pids $NS | tr '\n' ' ')
  awk -v roots="$roots" 'BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { ppid[$1] = $4 } END { do { added = 0; for (p in ppid) if (!(p in keep) && (ppid[p] in keep)) { keep[p] = 1; added = 1 } } while (added)
      for (p in keep) print p }' <(cat /proc/[0-9]*/stat 2>/dev/null | sed 's/([^)]*)/x/') | tr '\n' ' '
}
cpu_s() { local t=0 p; for p in $1; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; awk -v t=$t -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", t / hz}'; }
sum_anon_t() { local t=0 p; for p in $1; do t=$((t + $(field "$p" RssAnon 2>/dev/null || echo 0))); done; echo $((t / 1024)); }
sum_pss_t() { local t=0 p; for p in $1; do t=$((t + $(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0))); done; echo $((t / 1024)); }
node_ready() { [[ "$(k get node $NS -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]; }

# measure NAME: the rows for the cluster running now ($dir/kc.yaml).
declare -A R
measure() {
  local who=$1 t0 out tr
  until dns_answers 10.43.0.10; do sleep 0.1; done
  R[$who.dns]=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")
  sleep "$IDLE"
  tr=$(tree_ns)
  R[$who.pss]=$(sum_pss_t "$tr") R[$who.anon]=$(sum_anon_t "$tr") R[$who.procs]=$(echo $tr | wc -w)
  # The API under a fixed load: 20 GETs a second for 15 s, idle cluster.
  out=$(in_ns "$TOOLS/apiprobe" -kubeconfig "$dir/kc.yaml" -every 50ms -for 15s 2>&1)
  R[$who.api]=$(awk '/latency p99/ {print $NF == "s" ? $(NF-1) : $NF}' <<<"$out")
  out=$(in_ns "$TOOLS/datastore" -kubeconfig "$dir/kc.yaml" -n 300 -label "$who")
  read -r R[$who.c50] R[$who.c99] R[$who.w50] R[$who.w99] < <(sed 's/.*create p50 *\([0-9.]*\) ms *p99 *\([0-9.]*\) ms.*watch p50 *\([0-9.]*\) ms *p99 *\([0-9.]*\) ms.*/\1 \2 \3 \4/' <<<"$out")
  t0=$(cpu_s "$(tree_ns)")
  out=$(in_ns "$PODSTART" -kubeconfig "$dir/kc.yaml" -n 30 -deployment)
  R[$who.cpu]=$(awk -v a="$t0" -v b="$(cpu_s "$(tree_ns)")" 'BEGIN{printf "%.2f", (b - a) / 30}')
  R[$who.dep]=$(value_of "pods/min" <<<"$out") R[$who.p50]=$(value_of "pod start latency, median" <<<"$out") R[$who.p95]=$(value_of "pod start latency, p95" <<<"$out")
  until [[ -z "$(k get pods -l bench=podstart-deployment -o name 2>/dev/null)" ]]; do sleep 0.5; done
  for c in 1 12 30; do
    n=$((c == 1 ? 10 : c == 12 ? 48 : 90)) # a node takes 110 pods
    out=$(in_ns "$PODSTART" -kubeconfig "$dir/kc.yaml" -n $n -clients $c)
    R[$who.c$c]=$(value_of "pods/min" <<<"$out")
    until [[ -z "$(k get pods -l bench=podstart -o name 2>/dev/null)" ]]; do sleep 0.5; done
  done
}

# The reference cluster: start every process in the namespace.
run_bg() { local name=$1; shift; nsenter --net=/var/run/netns/$NS "$@" >"$dir/$name.log" 2>&1 & }
start_reference() {
  dir=$(mktemp -d /tmp/shoal-ref.XXXXXX)
  mkdir -p "$dir/bin" "$dir/cni/net.d" "$dir/images"
  cp "$UP"/* dist/runtime/* "$dir/bin/" # killall finds everything by its binary under $dir
  go run ./bench/upstream -dir "$dir/pki" -ip $IP -node $NS
  cp "$dir/pki/admin.kubeconfig" "$dir/kc.yaml"
  local b=$dir/bin p=$dir/pki
  start=$(date +%s.%N)
  run_bg etcd "$b/etcd" --data-dir "$dir/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 --log-level warn
  run_bg kube-apiserver "$b/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 --advertise-address=$IP --bind-address=$IP \
    --secure-port=6443 --service-cluster-ip-range=10.43.0.0/16 --client-ca-file="$p/ca.crt" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --service-account-key-file="$p/sa.key" --service-account-signing-key-file="$p/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction --anonymous-auth=false --allow-privileged=true \
    --kubelet-client-certificate="$p/apiserver-kubelet-client.crt" --kubelet-client-key="$p/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$p/ca.crt" --kubelet-preferred-address-types=InternalIP --profiling=false
  until k get --raw /readyz >/dev/null 2>&1; do sleep 0.1; done
  run_bg kube-controller-manager "$b/kube-controller-manager" --kubeconfig="$p/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$p/controller-manager.kubeconfig" --authorization-kubeconfig="$p/controller-manager.kubeconfig" \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" --cluster-signing-cert-file="$p/ca.crt" \
    --cluster-signing-key-file="$p/ca.key" --allocate-node-cidrs --cluster-cidr=10.42.0.0/16 --node-cidr-mask-size=24 \
    --service-cluster-ip-range=10.43.0.0/16 --use-service-account-credentials --leader-elect=false --bind-address=127.0.0.1 --profiling=false
  run_bg kube-scheduler "$b/kube-scheduler" --kubeconfig="$p/scheduler.kubeconfig" --authentication-kubeconfig="$p/scheduler.kubeconfig" \
    --authorization-kubeconfig="$p/scheduler.kubeconfig" --leader-elect=false --bind-address=127.0.0.1 --profiling=false
  start_reference_node
}

start_reference_node() {
  local b=$dir/bin p=$dir/pki
  cat >"$dir/containerd.toml" <<EOT
version = 3
root = "$dir/containerd/root"
state = "$dir/containerd/state"
[grpc]
  address = "$dir/containerd.sock"
[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["$b"]
    conf_dir = "$dir/cni/net.d"
[plugins."io.containerd.cri.v1.images".pinned_images]
  sandbox = "registry.k8s.io/pause:3.10.2"
EOT
  cat >"$dir/cni/net.d/10-bridge.conflist" <<EOT
{"cniVersion": "1.0.0", "name": "ref", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.42.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$dir/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOT
  SHOAL_SHIM_GROUPS=0 PATH="$b:$PATH" run_bg containerd "$b/containerd" --config "$dir/containerd.toml"
  until [[ -S $dir/containerd.sock ]]; do sleep 0.05; done
  for img in pause coredns shoal-echo-v1; do
    CONTAINERD_ADDRESS=$dir/containerd.sock in_ns "$BIN" ctr -n k8s.io images import "dist/images/$img.tar" >/dev/null
  done
  cat >"$dir/kubelet.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: /$NS
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$dir/containerd.sock
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $p/ca.crt}}
authorization: {mode: Webhook}
clusterDNS: [10.43.0.10]
clusterDomain: cluster.local
# Only the memory signal: this VM's disk reports 12 % free, below the
# default imagefs threshold (15 %), and the node would refuse every pod.
evictionHard: {memory.available: 100Mi}
tlsCertFile: $p/kubelet-serving.crt
tlsPrivateKeyFile: $p/kubelet-serving.key
EOT
  for h in /sys/fs/cgroup/*/; do mkdir -p "$h$NS"; done # kubelet's --cgroup-root must exist
  run_bg kubelet "$b/kubelet" --config="$dir/kubelet.yaml" --kubeconfig="$p/kubelet.kubeconfig" --root-dir="$dir/kubelet" \
    --hostname-override=$NS --node-ip=$IP
  run_bg kube-proxy "$b/kube-proxy" --kubeconfig="$p/kube-proxy.kubeconfig" --hostname-override=$NS \
    --cluster-cidr=10.42.0.0/16 --proxy-mode=iptables --conntrack-max-per-core=0 --healthz-bind-address=127.0.0.1:10256 \
    --metrics-bind-address=127.0.0.1:10249
  until node_ready; do
    pgrep -f "$b/kubelet" >/dev/null || { echo "kubelet exited:"; tail -3 "$dir/kubelet.log"; exit 1; }
    sleep 0.2
  done
  R[ref.ready]=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")
  sed -e 's/{{.ClusterDomain}}/cluster.local/' -e 's/{{.ClusterDNS}}/10.43.0.10/' internal/addons/manifests/coredns.yaml | k apply -f - >/dev/null
}

stop_reference() {
  set +e
  in_ns "$BIN" killall -d "$dir" >/dev/null
  for h in /sys/fs/cgroup/*/; do [[ -d "$h$NS" ]] && find "$h$NS" -depth -type d -exec rmdir {} + 2>/dev/null; done
  rm -rf "$dir"
  dir=
  set -e
}

trap 'stop_shoal; [[ -n "${dir:-}" ]] && stop_reference; netns_down' EXIT
trap 'exit 1' INT TERM
netns_up
start_shoal --disable metrics-server,ingress,servicelb,local-storage
R[shoal.ready]=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}")
measure shoal
stop_shoal
netns_down && netns_up
start_reference
measure ref
stop_reference
left=$(ip netns pids $NS | wc -l); mounts=$(grep -c " /tmp/shoal-ref" /proc/self/mountinfo || true)

row() { # LABEL KEY UNIT
  local a=${R[shoal.$2]} b=${R[ref.$2]}
  printf '%-48s %10s %10s %7s  %s\n' "$1" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "-" }')" "$3"
  [[ -z "${FIGURES:-}" ]] || printf '%s\t%s\t%s\t%s\n' "$1 (shoal; upstream $b)" "$a" "$3" "bench/upstream.sh" >>"$FIGURES"
}
echo
printf '%-48s %10s %10s %7s\n' "bench/upstream.sh, $(date -u +%F)" shoal upstream ratio
row "start -> node Ready" ready s
row "start -> CoreDNS answers" dns s
row "idle PSS, whole cluster" pss MB
row "idle anonymous, whole cluster" anon MB
row "processes, idle" procs ""
row "pods/min, a Deployment of 30" dep pods/min
row "pod start p50, Deployment of 30" p50 s
row "pod start p95, Deployment of 30" p95 s
row "pods/min, 1 client" c1 pods/min
row "pods/min, 12 clients" c12 pods/min
row "pods/min, 30 clients" c30 pods/min
row "API GET p99, 20 requests/s for 15 s, idle" api s
row "datastore create p50, 300 ConfigMaps" c50 ms
row "datastore create p99" c99 ms
row "datastore write -> watch p50" w50 ms
row "datastore write -> watch p99" w99 ms
row "CPU-seconds per pod, Deployment of 30" cpu s
echo "reference torn down: $left processes left in the namespace, $mounts mounts left"
