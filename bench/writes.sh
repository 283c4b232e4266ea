#!/usr/bin/env bash
# Write volume (issue 23: flash wear): what `shoal server` with its node
# and every addon writes, idle for IDLE seconds (default 300) after the
# addons rolled out, then for LOAD seconds (default 300) under a small
# steady workload (5 echo pods, one ConfigMap rewritten every 10 s),
# extrapolated to MB per hour:
#   - by shoal's tree: write_bytes - cancelled_write_bytes of /proc/PID/io
#     (bytes the process made the block layer write, its page cache
#     writeback included, less what was deleted before it reached the disk:
#     SQLite's temporary files) summed over shoal, containerd and the
#     shims, split into shoal / containerd + shims;
#   - on the data dir's disk: sectors written (/sys/class/block/DEV/stat),
#     which counts every writer on that disk (run nothing else meanwhile).
# Also: datastore revisions (writes) per hour, and shoal's log output per
# hour (what a service manager's journal would store). The data dir's own
# files are listed by size at the end.
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
for d in coredns metrics-server traefik; do addon_ready "$d" 300s; done

dev=$(basename "$(findmnt -no SOURCE -T "$dir")")
[[ -e /sys/class/block/$dev/partition ]] && dev=$(basename "$(readlink -f "/sys/class/block/$dev/..")")
disk_bytes() { awk '{print $7 * 512}' "/sys/class/block/$dev/stat"; }
# io_bytes PIDS: write_bytes - cancelled_write_bytes summed (a process
# gone meanwhile counts 0).
io_bytes() {
  local t=0 p
  for p in $1; do t=$((t + $(awk '/^write_bytes:/{w=$2} /^cancelled_write_bytes:/{c=$2} END{print w-c}' /proc/$p/io 2>/dev/null || echo 0))); done
  echo $t
}
# revision: the datastore's newest revision (an etcd member answers on the
# node's loopback, inside its namespace).
revision() {
  local r
  r=$(in_ns "$BIN" datastore status -d "$dir" 2>&1 | awk '/^revision:/{sub(",", "", $2); print $2}')
  [[ -n "$r" ]] || echo "bench/writes.sh: shoal datastore status gave no revision" >&2
  echo "${r:-0}"
}
logs() { cat "$dir/out.log" "$dir/err.log" | wc -c; }
# sample: "shoal_bytes runtime_bytes disk_bytes revisions log_bytes" now,
# after a sync: what the interval dirtied is counted in it (and the
# images unpacked at start are not counted in the idle interval).
sample() {
  local all
  sync
  all=$(tree)
  echo "$(io_bytes "$pid") $(io_bytes "${all#"$pid"}") $(disk_bytes) $(revision) $(logs)"
}
# per_hour A B SECONDS: per hour between samples A and B: MB for the
# bytes written, revisions, kB of logs.
per_hour() { awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN { split(a, x); split(b, y)
  for (i = 1; i <= 5; i++) printf "%s%.1f", (i > 1 ? " " : ""), (y[i] - x[i]) / (i == 4 ? 1 : i == 5 ? 1e3 : 1e6) * 3600 / s }'; }

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

read -r idle_shoal idle_rt idle_disk idle_revs idle_logs <<<"$(per_hour "$s0" "$s1" "$IDLE")"
read -r load_shoal load_rt load_disk load_revs load_logs <<<"$(per_hour "$s2" "$s3" "$LOAD")"
kind=sqlite; [[ -d $dir/server/db/etcd ]] && kind="embedded etcd"
M="bench/writes.sh: shoal server with its node and every addon (${kind}), fresh data dir"
# figure_was NAME VALUE UNIT METHOD: figure, and the same figure measured
# before issue 23's reductions (bench/writes-before.tsv) beside it.
figure_was() {
  local was
  was=$(awk -F'\t' -v n="$1" '$1 == n { print $2 " " $3 " (" $4 ")" }' bench/writes-before.tsv)
  figure "$1" "$2" "$3" "$4${was:+; before: $was}"
  [[ -z "$was" ]] || printf '%-52s %s\n' "  before" "$was"
}
figure_was "writes ($kind) idle: shoal / containerd+shims / disk" "$idle_shoal / $idle_rt / $idle_disk" MB/h "$M; ${IDLE}s idle after the addons rolled out, /proc/PID/io write_bytes and $dev's sectors written"
figure_was "writes ($kind) small workload: shoal / containerd+shims / disk" "$load_shoal / $load_rt / $load_disk" MB/h "$M; ${LOAD}s with 5 echo pods and a ConfigMap rewritten every 10 s"
figure_was "datastore writes ($kind) idle / small workload" "${idle_revs%.*} / ${load_revs%.*}" revisions/h "$M; revisions of shoal datastore status over the same intervals"
figure_was "log output ($kind) idle / small workload" "$idle_logs / $load_logs" kB/h "$M; shoal's stdout and stderr (a journal's share)"
# An SD card's life at the small workload's disk writes: SanDisk rates its
# 128 GB High Endurance card for 10,000 h of 26 Mb/s video, 117 TB written
# in long sequential runs; small synced writes cost the card more, taken
# here as 10 times more (a write amplification of 10): 11.7 TB of ours.
years=$(awk -v d="$load_disk" 'BEGIN { if (d > 0) printf "%.1f", 11.7e6 / (d * 8766); else print "-" }')
figure_was "SD card life ($kind) at the small workload" "$years" years "$M; 117 TB rated (SanDisk High Endurance 128 GB, 10,000 h at 26 Mb/s) / write amplification 10 / the disk figure under the small workload"
echo "largest files in the data dir:"
find "$dir" -xdev -type f -printf '%s %P\n' 2>/dev/null | sort -rn | head -8 | awk '{printf "  %8.1f MB  %s\n", $1 / 1e6, $2}'
