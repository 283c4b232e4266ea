#!/usr/bin/env bash
# Write volume (issue 23: flash wear): what `shoal server` with its node
# and every addon writes, idle for IDLE seconds (default 300) after the
# addons rolled out, then for LOAD seconds (default 300) under a small
# steady workload (5 echo pods, one ConfigMap rewritten every 10 s),
# extrapolated to MB per hour:
#   - by shoal's tree: write_bytes of /proc/PID/io (bytes the process made
#     the block layer write, its page cache writeback included) summed over
#     shoal, containerd and the shims, split into shoal / containerd + shims;
#   - on the data dir's disk: sectors written (/sys/class/block/DEV/stat),
#     which counts every writer on that disk (run nothing else meanwhile).
# The data dir's own files are listed by size at the end.
# Usage: bench/writes.sh [IDLE_SECONDS] [LOAD_SECONDS]   (root; make build images)
#   SHOAL_ARGS=--cluster-init bench/writes.sh   # on embedded etcd
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${1:-300} LOAD=${2:-300}
NS=shoal-writes
. bench/lib.sh
trap 'stop_shoal; netns_down' EXIT
netns_up
# shellcheck disable=SC2086
start_shoal ${SHOAL_ARGS:-}
for d in coredns metrics-server traefik; do k -n kube-system rollout status deploy/$d --timeout=300s >/dev/null; done

dev=$(basename "$(findmnt -no SOURCE -T "$dir")")
[[ -e /sys/class/block/$dev/partition ]] && dev=$(basename "$(readlink -f "/sys/class/block/$dev/..")")
disk_bytes() { awk '{print $7 * 512}' "/sys/class/block/$dev/stat"; }
# io_bytes PIDS: write_bytes summed (a process gone meanwhile counts 0).
io_bytes() { local t=0 p; for p in $1; do t=$((t + $(awk '/^write_bytes:/{print $2}' /proc/$p/io 2>/dev/null || echo 0))); done; echo $t; }
# sample: "shoal_bytes runtime_bytes disk_bytes" now.
sample() { local all; all=$(tree); echo "$(io_bytes "$pid") $(io_bytes "${all#"$pid"}") $(disk_bytes)"; }
# per_hour A B SECONDS: MB per hour between samples A and B, per column.
per_hour() { awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { split(a, x); split(b, y)
  for (i = 1; i <= 3; i++) printf "%s%.1f", (i > 1 ? " " : ""), (y[i] - x[i]) / 1e6 * 3600 / s }'; }

s0=$(sample)
sleep "$IDLE"
s1=$(sample)
k create deployment echo --image=localhost/shoal-echo:v1 --replicas=5 >/dev/null
k rollout status deploy/echo --timeout=180s >/dev/null
s2=$(sample)
end=$(($(date +%s) + LOAD))
i=0
while (($(date +%s) < end)); do
  k create configmap heartbeat --from-literal=n=$((i++)) -o yaml --dry-run=client | k apply -f - >/dev/null
  sleep 10 # the workload's period, not a wait for a condition
done
s3=$(sample)

read -r idle_shoal idle_rt idle_disk <<<"$(per_hour "$s0" "$s1" "$IDLE")"
read -r load_shoal load_rt load_disk <<<"$(per_hour "$s2" "$s3" "$LOAD")"
kind=sqlite; [[ -d $dir/server/db/etcd ]] && kind="embedded etcd"
M="bench/writes.sh: shoal server with its node and every addon (${kind}), fresh data dir"
figure "writes ($kind) idle: shoal / containerd+shims / disk" "$idle_shoal / $idle_rt / $idle_disk" MB/h "$M; ${IDLE}s idle after the addons rolled out, /proc/PID/io write_bytes and $dev's sectors written"
figure "writes ($kind) small workload: shoal / containerd+shims / disk" "$load_shoal / $load_rt / $load_disk" MB/h "$M; ${LOAD}s with 5 echo pods and a ConfigMap rewritten every 10 s"
echo "largest files in the data dir:"
find "$dir" -xdev -type f -printf '%s %P\n' 2>/dev/null | sort -rn | head -8 | awk '{printf "  %8.1f MB  %s\n", $1 / 1e6, $2}'
