#!/usr/bin/env bash
# `make bench`: every benchmark, then one table of all their figures, each
# with its method and, where a published K3s figure exists
# (bench/k3s.tsv), that figure and the ratio shoal / K3s (below 1: shoal
# is smaller or faster for sizes and times; for pods/min above 1 is better).
# Usage: bench/all.sh [IDLE_SECONDS]   (root; `make bench` builds first)
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${1:-30}
export FIGURES=$(mktemp /tmp/shoal-bench-figures.XXXXXX)
trap 'rm -f "$FIGURES"' EXIT
bench/node.sh "$IDLE"
bench/throughput.sh
bench/upstream.sh "$IDLE"
bench/agent.sh "$IDLE"
bench/server-idle.sh "$IDLE"
bench/datastores.sh
bench/box.sh 512M 1
bench/heap.sh
bench/churn.sh
SHOAL_ARGS=--cluster-init bench/churn.sh
bench/writes.sh
SHOAL_ARGS=--cluster-init bench/writes.sh
. bench/lib.sh
if [[ -e dist/release/shoal ]]; then
  figure "shoal release binary (make release)" "$(awk -v s="$(stat -c %s dist/release/shoal)" 'BEGIN{printf "%.1f", s/1048576}')" MiB \
    "make release: stripped, packed behind cmd/shoal-unpack (zstd)"
fi
echo
echo "$(bin/shoal version | head -1), $(date -u +%F), $(nproc) CPUs"
bench/table.sh "$FIGURES" bench/k3s.tsv
