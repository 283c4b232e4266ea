#!/usr/bin/env bash
# The small box: `shoal server` with its node and every addon, run inside a
# cgroup of MEM memory and CPUS CPUs (v1 memory+cpu hierarchies, or
# cgroup v2 when its memory controller is on), kubelet's cgroup root inside
# the box so that pods count too; in a network namespace of its own.
#   - seconds to node Ready and to every addon rolled out
#   - the idle tree (shoal, containerd, shims, pods): PSS and anonymous
#   - 5 -> 25 echo pods: seconds until 25 are available, kube-apiserver
#     latency p99 during it (bench/apiprobe), the box's peak anonymous
#     memory, major page faults, OOM kills
#   - 60 pods asked for: p99 during 120 s, how many run, how many are
#     Pending or were evicted / OOM-killed (with kubectl's reasons), and
#     whether shoal survived
# Usage: bench/box.sh [MEM] [CPUS]    (root; defaults 512M 1; `make build images` first)
#   SHOAL_ARGS="--kubelet-arg=…" bench/box.sh 512M 1
#   SHOAL_ARGS="--disable ingress" ADDONS="coredns metrics-server" bench/box.sh 512M 1
#   READAHEAD_KB=8192 bench/box.sh 512M 1   (the disk's readahead; default 128: bench/lib.sh)
#   LOGS=/tmp/box-logs STOP_AFTER=idle bench/box.sh 512M 1   (keep shoal's logs; stop after the idle
#   figures, or STOP_AFTER=scale after 5 -> 25)
set -euo pipefail
cd "$(dirname "$0")/.."
MEM=${1:-512M}
CPUS=${2:-1}
NS=shoal-box
ADDONS=${ADDONS:-coredns metrics-server traefik} # the Deployments to wait for
. bench/lib.sh
BOX=shoal-box

# box_procs: every process left in the box (shims outlive shoal).
box_procs() { find /sys/fs/cgroup/memory/$BOX /sys/fs/cgroup/cpu/$BOX /sys/fs/cgroup/$BOX -name cgroup.procs -exec cat {} + 2>/dev/null || true; }
box_up() {
  if [[ -n "$(box_procs)" ]]; then echo "the box $BOX still holds processes from an earlier run: $(box_procs | xargs)"; exit 1; fi
  if [[ -d /sys/fs/cgroup/memory ]]; then
    CG=v1
    MEMCG=/sys/fs/cgroup/memory/$BOX CPUCG=/sys/fs/cgroup/cpu/$BOX
    mkdir -p "$MEMCG" "$CPUCG"
    echo "$MEM" >"$MEMCG/memory.limit_in_bytes"
    period=$(cat "$CPUCG/cpu.cfs_period_us")
    echo $(awk -v c="$CPUS" -v p="$period" 'BEGIN{printf "%d", c*p}') >"$CPUCG/cpu.cfs_quota_us"
  else
    CG=v2
    MEMCG=/sys/fs/cgroup/$BOX CPUCG=$MEMCG
    mkdir -p "$MEMCG"
    echo "$MEM" >"$MEMCG/memory.max"
    echo "$(awk -v c="$CPUS" 'BEGIN{printf "%d", c*100000}') 100000" >"$MEMCG/cpu.max"
  fi
}
box_down() {
  for _ in 1 2 3 4 5; do
    [[ -z "$(box_procs)" ]] && break
    box_procs | xargs -r kill -9 2>/dev/null; sleep 1
  done
  for d in "${MEMCG:-}" "${CPUCG:-}"; do
    [[ -n "$d" && -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  true
}
# anon_bytes / major_faults / oom_kills of the whole box.
anon_bytes() {
  if [[ $CG == v1 ]]; then awk '$1=="total_rss"{print $2}' "$MEMCG/memory.stat"; else awk '$1=="anon"{print $2}' "$MEMCG/memory.stat"; fi
}
major_faults() {
  if [[ $CG == v1 ]]; then awk '$1=="total_pgmajfault"{print $2}' "$MEMCG/memory.stat"; else awk '$1=="pgmajfault"{print $2}' "$MEMCG/memory.stat"; fi
}
oom_kills() {
  if [[ $CG == v1 ]]; then awk '$1=="oom_kill"{print $2}' "$MEMCG/memory.oom_control"; else awk '$1=="oom_kill"{print $2}' "$MEMCG/memory.events"; fi
}
# peak_anon_start / peak_anon_stop: the largest anon_bytes seen meanwhile.
peak_anon_start() {
  peakf=$(mktemp)
  (m=0; while :; do a=$(anon_bytes); ((a > m)) && m=$a && echo "$m" >"$peakf"; sleep 0.5; done) &
  sampler=$!
}
peak_anon_stop() { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; echo $(($(cat "$peakf") / 1048576)); rm -f "$peakf"; }
# A GET every 50 ms: a few hundred during the scale-up, so p99 is not the max.
probe_start() { probeout=$(mktemp); nsenter --net=/var/run/netns/$NS "$PROBE" -kubeconfig "$dir/kc.yaml" -every 50ms >"$probeout" 2>&1 & probe=$!; }
probe_stop() { kill -INT "$probe"; wait "$probe" || true; sed 's/^/    apiprobe: /' "$probeout"; }
# p99: the probe's p99, and how many requests failed when any did.
p99() {
  local f; f=$(value_of failed <"$probeout")
  if [[ "${f:-0}" != 0 ]]; then echo "$(value_of "latency p99" <"$probeout") ($f of $(value_of requests <"$probeout") failed)"; else value_of "latency p99" <"$probeout"; fi
}
sum_anon() { local t=0 p; for p in $1; do t=$((t + $(field "$p" RssAnon))); done; echo $((t / 1024)); }
# cpu_ticks PID: user + system clock ticks the process has used.
# throttled_s: seconds the box waited for its CPU quota so far.
throttled_s() {
  if [[ $CG == v1 ]]; then awk '$1=="throttled_time"{printf "%.1f", $2/1e9}' "$CPUCG/cpu.stat"
  else awk '$1=="throttled_usec"{printf "%.1f", $2/1e6}' "$CPUCG/cpu.stat"; fi
}
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }
addon_restarts() { k -n kube-system get pods -o jsonpath='{range .items[*]}{range .status.containerStatuses[*]}{.restartCount}{"\n"}{end}{end}' | awk '{s += $1} END {print s + 0}'; }
available() { k get deploy e -o jsonpath='{.status.availableReplicas}' 2>/dev/null || true; }

cleanup() { set +e; [[ -n "${LOGS:-}" && -n "${dir:-}" ]] && mkdir -p "$LOGS" && cp "$dir"/*.log "$LOGS/"; [[ -n "${sampler:-}" ]] && kill "$sampler" 2>/dev/null; [[ -n "${probe:-}" ]] && kill "$probe" 2>/dev/null; stop_shoal; netns_down; box_down; readahead_restore; }
trap cleanup EXIT
PROBE=$(mktemp -d)/apiprobe
go build -o "$PROBE" ./bench/apiprobe
netns_up
box_up
dir=$(mktemp -d /tmp/shoal-bench.XXXXXX)
mkdir -p "$dir/agent/images" && cp dist/images/*.tar "$dir/agent/images/"
# A page already in the page cache is charged to whoever read it first, not
# to the box: an earlier run would lend this one the binary's pages for
# free. A real device has no such cache: start from an empty one.
sync && echo 3 >/proc/sys/vm/drop_caches
readahead_set
start=$(date +%s.%N)
# The launching shell joins the box, then becomes shoal.
bash -c "echo \$\$ >$MEMCG/cgroup.procs; [[ $CG == v1 ]] && echo \$\$ >$CPUCG/cgroup.procs; exec nsenter --net=/var/run/netns/$NS $BIN server \
  -d $dir -o $dir/kc.yaml --node-name $NS --kubelet-arg=cgroup-root=/$BOX/pods ${SHOAL_ARGS:-}" >"$dir/out.log" 2>"$dir/err.log" &
pid=$!
until grep -qs "node $NS Ready" "$dir/out.log"; do
  kill -0 "$pid" 2>/dev/null || { echo "shoal exited:"; tail -5 "$dir/err.log"; exit 1; }
  sleep 0.05
done
ready=$(date +%s.%N)
ready_cpu=$(cpu_ticks "$pid") ready_throttled=$(throttled_s)
for d in $ADDONS; do addon_ready "$d" 300s; done
addons=$(date +%s.%N)
cpu0=$(cpu_ticks "$pid")
sleep 30
idle_cpu=$(awk -v a="$cpu0" -v b="$(cpu_ticks "$pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", (b - a) / hz / 30 * 100}')
idle=$(tree)

M="bench/box.sh $MEM $CPUS ($CG): shoal server + node + every addon in a cgroup of $MEM and $CPUS CPU, pods inside, disk readahead $READAHEAD_KB KiB"
figure "box $MEM/$CPUS: start -> node Ready" "$(awk "BEGIN{printf \"%.1f\", $ready - $start}")" s "$M"
figure "box $MEM/$CPUS: shoal CPU to node Ready" "$(awk -v t="$ready_cpu" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f", t / hz}')" s "the shoal process's user+system CPU until then"
figure "box $MEM/$CPUS: box throttled before node Ready" "$ready_throttled" s "time the box's processes waited for its CPU quota (cpu.stat): CPU-bound when it grows"
figure "box $MEM/$CPUS: start -> every addon rolled out" "$(awk "BEGIN{printf \"%.1f\", $addons - $start}")" s "$M; ${ADDONS// /, }"
figure "box $MEM/$CPUS: idle tree PSS" "$(sum_pss "$idle")" MB "$M; 30 s after the addons; shoal+containerd+shims+pods"
figure "box $MEM/$CPUS: idle tree anonymous" "$(sum_anon "$idle")" MB "same processes, RssAnon summed"
figure "box $MEM/$CPUS: idle shoal process PSS" "$(sum_pss "$pid")" MB "the shoal process alone"
# PSS counts every page of the binaries still resident, and the kernel
# keeps what was read at start while the box has room: PSS grows into a
# box's free memory. The inactive file pages are what it would drop first.
stat_mb() { awk -v k="$1" '$1==k{printf "%d", $2/1048576}' "$MEMCG/memory.stat"; }
if [[ $CG == v1 ]]; then inactive=$(stat_mb total_inactive_file) usage=$(($(cat "$MEMCG/memory.usage_in_bytes") / 1048576))
else inactive=$(stat_mb inactive_file) usage=$(($(cat "$MEMCG/memory.current") / 1048576)); fi
figure "box $MEM/$CPUS: idle box memory in use" "$usage" MB "the box's cgroup: processes, page cache, kernel memory"
figure "box $MEM/$CPUS: idle inactive file pages" "$inactive" MB "page cache the kernel reclaims first (binaries' pages read at start and not used since)"
# The idle tree by process kind: PSS / anonymous MB, summed per kind.
for p in $idle; do
  kind=$(cat "/proc/$p/comm" 2>/dev/null) || continue
  [[ $p != "$pid" && $kind == shoal ]] && kind=containerd
  echo "$kind $(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup") $(field "$p" RssAnon)"
done | awk '{n[$1]++; pss[$1]+=$2; anon[$1]+=$3} END {for (k in n) printf "    idle: %-16s %2d × %6.1f MB PSS %6.1f MB anon\n", k, n[k], pss[k]/1024, anon[k]/1024}' | sort -k5 -rn
figure "box $MEM/$CPUS: idle shoal process CPU" "$idle_cpu" % "the shoal process over those 30 s (100 % = one CPU): the Go soft limit's GC cost shows here"
[[ "${STOP_AFTER:-}" == idle ]] && exit 0

k create deployment e --image=localhost/shoal-echo:v1 --replicas=5 >/dev/null
t5=$(date +%s.%N)
if k rollout status deploy/e --timeout=180s >/dev/null 2>&1; then
  figure "box $MEM/$CPUS: 5 echo pods available" "$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t5}")" s "$M"
else
  figure "box $MEM/$CPUS: 5 echo pods available" ">180 ($(available) of 5)" s "$M; the rest: $(k get pods -l app=e --no-headers 2>/dev/null | awk '{print $3}' | sort | uniq -c | xargs)"
fi
faults0=$(major_faults) ooms0=$(oom_kills)
peak_anon_start
probe_start
t0=$(date +%s.%N)
for _ in $(seq 12); do k scale deployment e --replicas=25 >/dev/null 2>&1 && break; sleep 5; done
deadline=$(($(date +%s) + 300))
until [[ "$(available)" == 25 ]] || (($(date +%s) > deadline)); do sleep 0.2; done
t1=$(date +%s.%N)
probe_stop
peak=$(peak_anon_stop)
S="$M; kubectl scale 5 -> 25 of localhost/shoal-echo:v1"
if [[ "$(available)" == 25 ]]; then
  figure "box $MEM/$CPUS: 5 -> 25 echo pods available" "$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")" s "$S"
else
  figure "box $MEM/$CPUS: 5 -> 25 echo pods available" ">300 ($(available) of 25)" s "$S"
fi
figure "box $MEM/$CPUS: API p99 during 5 -> 25" "$(p99)" s "bench/apiprobe: GET namespace every 50 ms, $(value_of requests <"$probeout") requests, $(value_of failed <"$probeout") failed"
figure "box $MEM/$CPUS: peak anonymous during 5 -> 25" "$peak" MB "$S; the box's memory.stat anon, sampled every 0.5 s"
figure "box $MEM/$CPUS: major faults during 5 -> 25" "$(($(major_faults) - faults0))" faults "$S; thrashing shows here"
figure "box $MEM/$CPUS: OOM kills during 5 -> 25" "$(($(oom_kills) - ooms0))" kills "$S"
figure "box $MEM/$CPUS: addon restarts so far" "$(addon_restarts)" restarts "kube-system containers' restartCount, summed: a starved addon fails its probes and restarts"
[[ "${STOP_AFTER:-}" == scale ]] && exit 0

# More than fits: 60 asked for.
ooms0=$(oom_kills)
probe_start
# A box that thrashes may time the request out: retried for a minute.
for _ in $(seq 12); do k scale deployment e --replicas=60 >/dev/null 2>&1 && break; sleep 5; done
sleep 120
probe_stop
pods=$(k get pods -l app=e --request-timeout=60s -o jsonpath='{range .items[*]}{.status.phase} {.status.reason} {.status.containerStatuses[0].lastState.terminated.reason}{"\n"}{end}')
O="$M; kubectl scale 25 -> 60, 120 s later"
figure "box $MEM/$CPUS: 60 asked: Running" "$(grep -c '^Running' <<<"$pods" || true)" pods "$O"
figure "box $MEM/$CPUS: 60 asked: Pending" "$(grep -c '^Pending' <<<"$pods" || true)" pods "$O"
figure "box $MEM/$CPUS: 60 asked: evicted or OOM-killed" "$(grep -c 'Evicted\|OOMKilled' <<<"$pods" || true)" pods "$O; status.reason Evicted or last state OOMKilled"
figure "box $MEM/$CPUS: API p99 with 60 asked" "$(p99)" s "bench/apiprobe over those 120 s, $(value_of failed <"$probeout") failed"
figure "box $MEM/$CPUS: OOM kills with 60 asked" "$(($(oom_kills) - ooms0))" kills "$O"
if kill -0 "$pid" 2>/dev/null; then alive=yes; else alive=no; fi
figure "box $MEM/$CPUS: shoal alive after 60 asked" "$alive" "" "$O"
k describe pods -l app=e 2>/dev/null | grep -E "^\s+(Reason|Message):|Warning" | sort | uniq -c | sort -rn | head -5 || true
exit 0
