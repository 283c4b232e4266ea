#!/usr/bin/env bash
# Measures a joined agent: `shoal server --disable-agent` (every addon
# disabled, so no pod lands on the agent) in one network namespace and
# `shoal agent --server … --token …` in another, both on a bridge:
#   - seconds from `shoal agent` start to its node's Ready condition, cold
#     (fresh agent data dir) and warm (restart on the same dir)
#   - VmRSS/VmHWM of the agent process and VmRSS/PSS of its whole tree
#     (shoal agent + containerd; no pods), idle
# Usage: bench/agent.sh [IDLE_SECONDS]   (needs root; run `make build` first)
#   BOX_MEM=512M bench/agent.sh   # the agent (and its pods) in a 512 MB memory cgroup
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${1:-30}
. bench/lib.sh # BIN, field
BR=br-sbench

down() {
  set +e
  for p in ${apid:-} ${spid:-}; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  for ns in sb-server sb-agent; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 "$p"; done
    ip netns del $ns 2>/dev/null; ip link del vh-$ns 2>/dev/null
  done
  for h in /sys/fs/cgroup/*/; do [[ -d "${h}sb-agent" ]] && find "${h}sb-agent" -depth -type d -exec rmdir {} + 2>/dev/null; done
  ip link del $BR 2>/dev/null
  readahead_restore
  for d in ${sdir:-} ${adir:-}; do
    grep " $d/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
    rm -rf "$d"
  done
  set -e
}
trap down EXIT
down
readahead_set # a device's disk readahead (bench/lib.sh)
ip link add $BR type bridge && ip addr add 10.92.0.1/24 dev $BR && ip link set $BR up
i=2
for ns in sb-server sb-agent; do
  ip netns add $ns
  ip link add vh-$ns type veth peer name eth0 netns $ns
  ip link set vh-$ns master $BR up
  ip -n $ns addr add 10.92.0.$i/24 dev eth0 && ip -n $ns link set eth0 up && ip -n $ns link set lo up
  ip -n $ns route add default via 10.92.0.1
  i=$((i + 1))
done
sdir=$(mktemp -d /tmp/shoal-bench-server.XXXXXX) adir=$(mktemp -d /tmp/shoal-bench-agent.XXXXXX)
# The server runs from a copy of the binary: on a device the agent shares
# no page of it with a server, and PSS must not divide them between both.
cp "$BIN" "$sdir/shoal-server"
nsenter --net=/var/run/netns/sb-server "$sdir/shoal-server" server -d "$sdir" -o "$sdir/kc.yaml" --disable-agent \
  --disable coredns,servicelb,local-storage,metrics-server,ingress >"$sdir/out.log" 2>&1 &
spid=$!
until grep -q "shoal: server ready in" "$sdir/out.log"; do kill -0 $spid || { tail "$sdir/out.log"; exit 1; }; sleep 0.1; done

# A cold page cache, as on a device after boot: a binary left in the cache
# by the build maps more of its pages at each fault (fault-around) and
# would inflate the agent's PSS.
sync && echo 3 >/proc/sys/vm/drop_caches

# run_agent VAR: starts the agent, waits for Ready, sets VAR to the seconds.
run_agent() {
  local t0=$(date +%s.%N) log="$adir/out-$1.log" join=""
  if [[ -n "${BOX_MEM:-}" ]]; then
    # The agent in a box of BOX_MEM (cgroup v1 memory), its pods inside.
    mkdir -p /sys/fs/cgroup/memory/sb-agent && echo "$BOX_MEM" >/sys/fs/cgroup/memory/sb-agent/memory.limit_in_bytes
    join="echo \$\$ >/sys/fs/cgroup/memory/sb-agent/cgroup.procs;"
  fi
  bash -c "$join exec nsenter --net=/var/run/netns/sb-agent ${AGENT_BIN:-$BIN} agent -d $adir --server https://10.92.0.2:6443 \
    --token-file $sdir/server/agent-token --node-name sb-agent --kubelet-arg=cgroup-root=/sb-agent" >"$log" 2>&1 &
  apid=$!
  until grep -qs "node sb-agent Ready" "$log"; do kill -0 $apid || { tail "$log"; exit 1; }; sleep 0.05; done
  grep -h "small box" "$log" || true
  printf -v "$1" '%s' "$(awk "BEGIN{print $(date +%s.%N) - $t0}")"
}
run_agent cold
kill $apid && wait $apid || true
run_agent warm
sleep "$IDLE"
ctrd=$(pgrep -f "containerd --config $adir/agent/etc/containerd/config.toml" | head -1)
rss=0 pss=0 anon=0
for p in $apid $ctrd; do
  a=$(field $p RssAnon) s=$(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup)
  printf '  %-10s PSS %4d MB, anonymous %4d MB\n' "$(cat /proc/$p/comm)" $((s / 1024)) $((a / 1024))
  anon=$((anon + a)) rss=$((rss + $(field $p VmRSS))) pss=$((pss + s))
done
M="bench/agent.sh: shoal agent in its own network namespace joined to a server in another${BOX_MEM:+, in a $BOX_MEM memory cgroup}, disk readahead $READAHEAD_KB KiB"
figure "agent start -> node Ready, cold" "$(printf %.1f "$cold")" s "$M; fresh agent data dir"
figure "agent start -> node Ready, warm restart" "$(printf %.1f "$warm")" s "$M; restart on the same data dir"
figure "agent tree idle: VmRSS" $((rss / 1024)) MB "$M; shoal agent + containerd, no pods, ${IDLE}s idle"
figure "agent tree idle: PSS" $((pss / 1024)) MB "same processes, shared pages counted once"
figure "agent tree idle: anonymous" $((anon / 1024)) MB "same processes, RssAnon"
