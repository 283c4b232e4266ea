#!/usr/bin/env bash
# Measures `shoal server` with its local node, in a network namespace of its
# own (10.93.0.2 behind a veth), on a fresh data dir with the echo images in
# the air-gap directory:
#   - seconds from process start to the node's Ready condition
#   - VmRSS/VmHWM of the shoal process, and VmRSS/PSS summed over its whole
#     tree (shoal, containerd, every shim, the pods), idle with 6 echo pods
#   - median and p95 pod start latency for 30 pods created at once (pods/min)
# Usage: bench/node.sh [IDLE_SECONDS]   (needs root; run `make build images` first)
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${1:-30}
BIN=$(realpath "${SHOAL_BIN:-bin/shoal}")
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
NS=shoal-bench
dir=$(mktemp -d /tmp/shoal-bench.XXXXXX)
in_ns() { nsenter --net=/var/run/netns/$NS "$@"; }
k() { in_ns "$KUBECTL" --kubeconfig "$dir/kc.yaml" "$@"; }

cleanup() {
  set +e
  k delete deploy echo --wait=true >/dev/null 2>&1
  [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  for p in $(ip netns pids $NS 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  for h in /sys/fs/cgroup/*/; do [[ -d "$h$NS" ]] && find "$h$NS" -depth -type d -exec rmdir {} + 2>/dev/null; done
  grep " $dir/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
  ip netns del $NS 2>/dev/null; ip link del vh-$NS 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

ip netns del $NS 2>/dev/null || true
ip link del vh-$NS 2>/dev/null || true
ip netns add $NS
ip link add vh-$NS type veth peer name eth0 netns $NS
ip addr add 10.93.0.1/24 dev vh-$NS && ip link set vh-$NS up
ip -n $NS addr add 10.93.0.2/24 dev eth0 && ip -n $NS link set eth0 up && ip -n $NS link set lo up
ip -n $NS route add default via 10.93.0.1
mkdir -p "$dir/agent/images" && cp dist/images/shoal-echo-v1.tar "$dir/agent/images/"

start=$(date +%s.%N)
nsenter --net=/var/run/netns/$NS "$BIN" server -d "$dir" -o "$dir/kc.yaml" --node-name "$NS" --kubelet-arg=cgroup-root=/$NS \
  >"$dir/out.log" 2>"$dir/err.log" &
pid=$!
until grep -q "node $NS Ready" "$dir/out.log"; do
  kill -0 "$pid" 2>/dev/null || { echo "shoal exited:"; tail -5 "$dir/err.log"; exit 1; }
  sleep 0.05
done
ready=$(date +%s.%N)

k create deployment echo --image=localhost/shoal-echo:v1 --replicas=6 >/dev/null
k rollout status deploy/echo --timeout=180s >/dev/null
sleep "$IDLE"

sock="$dir/agent/run/containerd/containerd.sock"
ctrd=$(pgrep -f "containerd --config $dir/agent/etc/containerd/config.toml" | head -1)
shims=$(pgrep -f "containerd-shim-runc-v2 .*-address $sock" || true)
pods=""
for s in $shims; do pods="$pods $(pgrep -P "$s" | tr '\n' ' ')"; done
field() { awk -v f="$2:" '$1==f{print $2}' /proc/$1/status; }
sum() { local t=0; for p in $2; do t=$((t + $(field "$p" "$1"))); done; echo $t; }
psum() { local t=0; for p in $1; do t=$((t + $(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup))); done; echo $t; }
tree="$pid $ctrd $shims $pods"

printf '%-52s %s\n' "figure" "value"
printf '%-52s %.2f s\n' "cold start -> node Ready (process start to Ready)" "$(awk "BEGIN{print $ready - $start}")"
printf '%-52s %d MB\n' "shoal VmRSS, 6 echo pods, ${IDLE}s idle" $(( $(field $pid VmRSS) / 1024 ))
printf '%-52s %d MB\n' "shoal VmHWM" $(( $(field $pid VmHWM) / 1024 ))
printf '%-52s %d MB\n' "containerd VmRSS" $(( $(field $ctrd VmRSS) / 1024 ))
printf '%-52s %d MB (%d shims)\n' "shims VmRSS, summed" $(( $(sum VmRSS "$shims") / 1024 )) $(echo $shims | wc -w)
printf '%-52s %d MB\n' "whole tree VmRSS (shoal+containerd+shims+pods)" $(( $(sum VmRSS "$tree") / 1024 ))
printf '%-52s %d MB\n' "whole tree PSS (shared pages counted once)" $(( $(psum "$tree") / 1024 ))
k delete deploy echo --wait=true >/dev/null
in_ns go run ./bench/podstart -kubeconfig "$dir/kc.yaml" -n 30
