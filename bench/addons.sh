#!/usr/bin/env bash
# Idle memory of the whole shoal process tree (shoal, containerd, shims,
# pods) with every addon on, then with each one disabled in turn.
# Usage: bench/addons.sh [IDLE_SECONDS]   (needs root; `make build images` first)
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${1:-30}
. bench/lib.sh
trap 'stop_shoal; netns_down' EXIT
netns_up
printf '%-34s %14s %14s %10s\n' "configuration" "tree VmRSS" "tree PSS" "processes"
for off in "" coredns metrics-server servicelb local-storage ingress; do
  args=()
  [[ -n "$off" ]] && args=(--disable "$off")
  start_shoal "${args[@]}"
  for d in coredns metrics-server ingress; do
    dep=$d; [[ $d == ingress ]] && dep=traefik
    [[ "$off" == "$d" ]] || addon_ready "$dep" 180s
  done
  sleep "$IDLE"
  all=$(tree)
  label="all addons on"
  [[ -n "$off" ]] && label="--disable $off"
  printf '%-34s %11d MB %11d MB %10d\n' "$label" "$(sum_rss "$all")" "$(sum_pss "$all")" "$(echo $all | wc -w)"
  stop_shoal
done
