#!/usr/bin/env bash
# Where shoal's live Go heap goes: `shoal server` with its node and every
# addon, idle IDLE seconds (default 60), then a heap profile of the whole
# process (kube-apiserver's /debug/pprof, --kube-apiserver-arg=profiling=true)
# attributed to the component that allocated it (cumulative in-use bytes of
# each component's entry point). The ledger of docs/adr/0012 comes from here.
# Usage: bench/heap.sh [IDLE_SECONDS]   (root; `make build images` first)
#   SHOAL_ARGS="…" bench/heap.sh; the profile stays in $HEAP_OUT (default /tmp/shoal-heap.pb.gz)
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${1:-60}
NS=shoal-heap
. bench/lib.sh
OUT=${HEAP_OUT:-/tmp/shoal-heap.pb.gz}
trap 'stop_shoal; netns_down' EXIT
netns_up
# shellcheck disable=SC2086
start_shoal --kube-apiserver-arg=profiling=true ${SHOAL_ARGS:-}
for d in coredns metrics-server traefik; do addon_ready "$d" 300s; done
sleep "$IDLE"
k get --raw '/debug/pprof/heap?gc=1' >"$OUT"
anon=$(field "$pid" RssAnon)
top=$(go tool pprof -sample_index=inuse_space -top -cum "$OUT" 2>/dev/null)
total=$(go tool pprof -sample_index=inuse_space -top "$OUT" 2>/dev/null | awk '/^Showing nodes/{print $(NF-1)}')
figure "heap: shoal RssAnon (idle ${IDLE} s)" "$((anon / 1024))" MB "bench/heap.sh: server + node + every addon, no box"
figure "heap: live Go heap" "$total" "" "inuse_space after a GC"
# component LABEL REGEXP: the in-use bytes allocated under a frame matching
# REGEXP (pprof -focus; the parts overlap: a cache filled by an informer
# goroutine counts under informers, not under the component that made it).
component() {
  local v; v=$(go tool pprof -sample_index=inuse_space -focus="$2" -top "$OUT" 2>/dev/null | sed -n 's/.*accounting for \([0-9.]*[kMG]*B\).*/\1/p' | head -1)
  figure "heap: $1" "${v:-0}" "" "inuse_space under frames matching $2"
}
component "OpenAPI documents and definitions" 'openapi'
component "kube-apiserver request handling, registries" 'apiserver/pkg/(registry|endpoints)|pkg/registry'
component "priority and fairness" 'flowcontrol'
component "kube-controller-manager" 'kube-controller-manager|k8s.io/kubernetes/pkg/controller'
component "kubelet" 'k8s.io/kubernetes/pkg/kubelet'
component "scheduler" 'scheduler'
component "kube-proxy" 'k8s.io/kubernetes/pkg/proxy'
component "kine" 'kine'
component "flannel" 'flannel'
component "package initialisation" 'runtime.doInit'
component "informer caches" 'client-go/tools/cache'
component "watch caches" 'storage/cacher'
component "metrics (prometheus)" 'prometheus'
component "CEL environments" 'cel-go|/cel'
component "HTTP/2 and gRPC connections" 'x/net/http2|net/http\.|google.golang.org/grpc'
echo "top of the profile (flat):"
go tool pprof -sample_index=inuse_space -top "$OUT" 2>/dev/null | sed -n '6,26p'

# Where the idle CPU goes: 30 s of CPU profile of the same process.
k get --raw '/debug/pprof/profile?seconds=30' >"${OUT%.pb.gz}-cpu.pb.gz"
CPUP="${OUT%.pb.gz}-cpu.pb.gz"
cpu_total=$(go tool pprof -top "$CPUP" 2>/dev/null | sed -n 's/.*Total samples = \([0-9.]*m\?s\).*/\1/p')
figure "heap: idle CPU over 30 s" "$cpu_total" "" "pprof total samples (30 s = one whole CPU)"
cpu_part() {
  local v; v=$(go tool pprof -focus="$2" -top "$CPUP" 2>/dev/null | sed -n 's/.*accounting for \([0-9.]*m\?s\).*/\1/p' | head -1)
  figure "heap: idle CPU, $1" "${v:-0}" "" "CPU samples under frames matching $2"
}
cpu_part "garbage collection" 'runtime.gcBgMarkWorker|runtime.gcDrain|runtime.bgsweep|runtime.bgscavenge'
cpu_part "kine" 'kine'
cpu_part "kubelet" 'k8s.io/kubernetes/pkg/kubelet'
cpu_part "kube-apiserver handlers" 'k8s.io/apiserver/pkg/endpoints'
cpu_part "TLS" 'crypto/tls'
echo "top of the CPU profile (cumulative):"
go tool pprof -top -cum "$CPUP" 2>/dev/null | sed -n '6,30p'
