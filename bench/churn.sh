#!/usr/bin/env bash
# The datastore under write churn (issue 22): `shoal server --disable-agent`
# on a fresh data dir, bench/churn rewriting 20 ConfigMaps of 64 KB from 4
# clients for CHURN seconds (default 240), then AFTER seconds (default 120)
# idle. Prints the datastore's size on disk every 10 s (SQLite: state.db +
# its WAL; embedded etcd: the member directory) with the writes and their
# latency in that window, then the figures.
# Usage: bench/churn.sh [CHURN_SECONDS] [AFTER_SECONDS]
#   SHOAL_ARGS="--cluster-init" bench/churn.sh   # the same on embedded etcd
#   RATE=0 bench/churn.sh                        # as fast as 4 clients go (default 6.4 writes/s)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # BIN, figure
CHURN=${1:-240} AFTER=${2:-120}
dir=$(mktemp -d /tmp/shoal-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [[ -n "${cpid:-}" ]] && kill "$cpid" 2>/dev/null; [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
CHURNBIN=$dir/churn
go build -o "$CHURNBIN" ./bench/churn

: >"$dir/out.log"
# Each line of shoal's output gets its time, to find the writes that ran
# during a compaction pass.
"$BIN" server --disable-agent --data-dir "$dir" --https-listen-port "$port" \
  --write-kubeconfig "$dir/kubeconfig.yaml" ${SHOAL_ARGS:-} 2>"$dir/err.log" \
  > >(while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done >"$dir/out.log") &
pid=$!
until grep -q "shoal: server ready" "$dir/out.log"; do
  kill -0 "$pid" 2>/dev/null || { echo "shoal exited:"; tail -5 "$dir/err.log"; exit 1; }
  sleep 0.1
done
db=$dir/server/db
# size_mb: the datastore's bytes on disk, in MB.
size_mb() {
  if [[ -d $db/etcd ]]; then du -sb "$db/etcd" | awk '{printf "%.1f", $1 / 1e6}'
  else cat "$db"/state.db* 2>/dev/null | wc -c | awk '{printf "%.1f", $1 / 1e6}'; fi
}

"$CHURNBIN" -kubeconfig "$dir/kubeconfig.yaml" -for "${CHURN}s" -rate "${RATE:-6.4}" -trace "$dir/trace" >"$dir/churn.log" 2>&1 &
cpid=$!
start=$(date +%s)
peak=0 mem_peak=0
# mem: shoal's PSS / anonymous memory, in MB.
mem() { echo "$(sum_pss "$pid") / $(($(field "$pid" RssAnon) / 1024))"; }
mem_start=$(mem)
printf '%6s %9s %8s %8s %8s %14s\n' t_s size_MB writes p50_ms p99_ms pss/anon_MB
while kill -0 "$cpid" 2>/dev/null; do
  sleep 10
  t=$(($(date +%s) - start)) s=$(size_mb)
  peak=$(awk -v a="$peak" -v b="$s" 'BEGIN{print (b > a) ? b : a}')
  w=$(awk -v t="$t" 'NR > 1 && $1 ~ /^[0-9]+$/ && $1 <= t + 5 && $1 > t - 6 {print $2, $3, $4}' "$dir/churn.log" | tail -1)
  m=$(mem)
  [[ ${m%% *} -le ${mem_peak%% *} ]] || mem_peak=$m
  printf '%6d %9s %8s %8s %8s %14s\n' "$t" "$s" $w "$m"
done
wait "$cpid" || { cat "$dir/churn.log"; exit 1; }
cpid=
end=$(size_mb)
for ((i = 10; i <= AFTER; i += 10)); do
  sleep 10
  printf '%6d %9s   (idle)\n' "$(($(date +%s) - start))" "$(size_mb)"
done
after=$(size_mb)
"$BIN" datastore status --data-dir "$dir"
kind=sqlite; [[ -d $db/etcd ]] && kind="embedded etcd"
[[ -z "${KEEP:-}" ]] || cp "$dir/out.log" "$dir/trace" "$KEEP"/
# p99 of the writes that ran (in part) while a compaction pass ran (shoal reports
# each pass that returned space, with its two durations) and of the others.
split=$(python3 - "$dir/out.log" "$dir/trace" <<'PY'
import re, sys
unit = {"µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1}
def secs(d): return sum(float(n) * unit[u] for n, u in re.findall(r"([0-9.]+)(µs|us|ms|s)", d))
passes = []
for line in open(sys.argv[1]):
    m = re.search(r"^([0-9.]+) shoal: datastore: (?:compacted|defragmented)", line)
    if m:
        took = sum(secs(d) for d in re.findall(r" in ([0-9.]+(?:µs|us|ms|s))\b", line))
        end = float(m.group(1)); passes.append((end - took - 0.05, end))
during, other = [], []
for line in open(sys.argv[2]):
    t, ms = map(float, line.split())
    (during if any(t <= b and t + ms / 1000 >= a for a, b in passes) else other).append(ms)
p99 = lambda v: "%.0f" % sorted(v)[(len(v) - 1) * 99 // 100] if v else "-"
print(f"{p99(during)} / {p99(other)} ms ({len(passes)} passes, {len(during)} / {len(other)} writes)")
PY
)
M="bench/churn.sh: shoal server --disable-agent (${kind}), 4 clients rewriting 20 ConfigMaps of 64 KB, ${RATE:-6.4} writes/s, for ${CHURN}s"
figure "churn ($kind): writes/s, p99 write latency" "$(value_of writes/s <"$dir/churn.log") / $(value_of p99 <"$dir/churn.log")" "/s / ms" "$M; $(value_of failed <"$dir/churn.log") writes failed"
figure "churn ($kind): write p99 during compaction / otherwise" "$split" "" "$M"
figure "churn ($kind): shoal PSS / anon, start / peak" "$mem_start / $mem_peak" MB "$M"
figure "churn ($kind): datastore size, peak" "$peak" MB "$M; sampled every 10 s"
figure "churn ($kind): datastore size, end / ${AFTER}s later" "$end / $after" MB "$M"
