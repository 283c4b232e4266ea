#!/usr/bin/env bash
# Compares the datastores side by side in one run: `shoal server
# --disable-agent` on SQLite (kine), on embedded etcd (--cluster-init, one
# member), then on PostgreSQL (Debian's 15, started here as
# the postgres user), each driven by bench/datastore: ConfigMap create
# p50/p99 and write→watch-event p50/p99.
# Usage: bench/datastores.sh [N]   (needs root; `make build test-deps` first)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # figure
N=${1:-500}
BIN=$(realpath "${SHOAL_BIN:-bin/shoal}")
PG=/usr/lib/postgresql/15/bin
PORT=${PORT:-6543}
go build -o /tmp/shoal-bench-datastore ./bench/datastore

cleanup() {
  set +e
  [[ -n "${spid:-}" ]] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
  [[ -n "${pgdir:-}" ]] && runuser -u postgres -- "$PG/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1
  rm -rf "${dir:-}" "${pgdir:-}"
}
trap cleanup EXIT

# measure LABEL ARGS...: a fresh server with ARGS, N ConfigMaps, then stop.
measure() {
  local label=$1; shift
  dir=$(mktemp -d /tmp/shoal-bench-ds.XXXXXX)
  "$BIN" server -d "$dir" --https-listen-port "$PORT" -o "$dir/kc.yaml" --disable-agent \
    --disable coredns,servicelb,local-storage,metrics-server,ingress "$@" >"$dir/out.log" 2>&1 &
  spid=$!
  until grep -q "shoal: server ready in" "$dir/out.log"; do kill -0 $spid || { tail "$dir/out.log"; exit 1; }; sleep 0.2; done
  out=$(/tmp/shoal-bench-datastore -kubeconfig "$dir/kc.yaml" -n "$N" -label "$label")
  echo "$out"
  read -r c50 c99 w50 w99 < <(sed 's/.*create p50 *\([0-9.]*\) ms *p99 *\([0-9.]*\) ms.*watch p50 *\([0-9.]*\) ms *p99 *\([0-9.]*\) ms.*/\1 \2 \3 \4/' <<<"$out")
  figure "datastore $label: create p50 / p99" "$c50 / $c99" ms "bench/datastore: $N ConfigMap creates through the apiserver, one client"
  figure "datastore $label: write -> watch p50 / p99" "$w50 / $w99" ms "bench/datastore: Create returned -> a watch sees the object"
  kill $spid && wait $spid || true
  spid=
  rm -rf "$dir"
}

measure sqlite
measure etcd --cluster-init

pgdir=$(mktemp -d /tmp/shoal-bench-pg.XXXXXX)
chown postgres "$pgdir"
runuser -u postgres -- "$PG/initdb" -D "$pgdir/data" -U postgres --auth=trust >/dev/null
runuser -u postgres -- "$PG/pg_ctl" -D "$pgdir/data" -o "-k $pgdir -p 5499 -c listen_addresses=127.0.0.1" -l "$pgdir/log" start >/dev/null
until runuser -u postgres -- "$PG/pg_isready" -h 127.0.0.1 -p 5499 >/dev/null; do sleep 0.2; done
measure postgresql --datastore-endpoint "postgres://postgres:unused@127.0.0.1:5499/kine?sslmode=disable"
