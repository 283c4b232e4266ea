#!/usr/bin/env bash
# Measures `shoal server --disable-agent` on a fresh data dir:
#   - seconds from process start to the first anonymous /readyz = ok
#   - VmRSS and VmHWM of the server process after IDLE seconds idle (default 60)
# Usage: bench/server-idle.sh [IDLE_SECONDS]
#   SHOAL_ARGS="--cluster-init" bench/server-idle.sh   # the same on embedded etcd
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # figure
IDLE=${1:-60}
dir=$(mktemp -d /tmp/shoal-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

start=$(date +%s.%N)
"$BIN" server --disable-agent --data-dir "$dir" --https-listen-port "$port" \
  --write-kubeconfig "$dir/kubeconfig.yaml" ${SHOAL_ARGS:-} >"$dir/out.log" 2>"$dir/err.log" &
pid=$!
until [[ "$(curl -sk --max-time 1 "https://127.0.0.1:$port/readyz" 2>/dev/null)" == ok ]]; do
  kill -0 "$pid" 2>/dev/null || { echo "shoal exited:"; tail -5 "$dir/err.log"; exit 1; }
  sleep 0.05
done
ready=$(date +%s.%N)
until grep -q "shoal: server ready" "$dir/out.log"; do sleep 0.05; done
all=$(date +%s.%N)
sleep "$IDLE"
rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
anon=$(awk '/RssAnon/{print $2}' /proc/$pid/status)
file=$(awk '/RssFile/{print $2}' /proc/$pid/status)
pss=$(awk '/^Pss:/{s+=$2} END{print s}' /proc/$pid/smaps_rollup)

M="bench/server-idle.sh: shoal server --disable-agent (control plane only), fresh data dir"
figure "control plane only: start -> /readyz ok" "$(awk "BEGIN{printf \"%.1f\", $ready - $start}")" s "$M"
figure "control plane only: VmRSS / PSS idle" "$((rss/1024)) / $((pss/1024))" MB "$M; ${IDLE}s idle"
figure "shoal binary, as built (bin/shoal)" $(( $(stat -c %s "$BIN") / 1048576 )) MiB "make build: not stripped, not packed"
