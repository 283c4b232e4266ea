#!/usr/bin/env bash
# Measures `shoal server` with its local node and every addon, in a network
# namespace of its own (10.93.0.2 behind a veth), on a fresh data dir with
# every image of dist/images in the air-gap directory:
#   - seconds from process start to the node's Ready condition, and until
#     CoreDNS answers kubernetes.default from the node
#   - VmRSS/VmHWM of the shoal process, and VmRSS/PSS summed over its whole
#     tree (shoal, containerd, every shim, the pods), idle with 6 echo pods
#   - median and p95 pod start latency for 30 pods created at once (pods/min)
#   - pods/min with 12 and 24 clients each creating pods one after another
# Usage: bench/node.sh [IDLE_SECONDS]   (needs root; run `make build images` first)
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${1:-30}
. bench/lib.sh
trap 'stop_shoal; netns_down' EXIT
netns_up
start_shoal
ready=$(date +%s.%N)
until dns_answers 10.43.0.10; do sleep 0.1; done
dns=$(date +%s.%N)

k create deployment echo --image=localhost/shoal-echo:v1 --replicas=6 >/dev/null
k rollout status deploy/echo --timeout=180s >/dev/null
sleep "$IDLE"
all=$(tree)
shims=$(pgrep -f "containerd-shim-runc-v2 .*-address $dir/agent/run/containerd/containerd.sock" || true)
ctrd=$(pgrep -f "containerd --config $dir/agent/etc/containerd/config.toml" | head -1)

printf '%-52s %s\n' "figure" "value"
printf '%-52s %.2f s\n' "cold start -> node Ready" "$(awk "BEGIN{print $ready - $start}")"
printf '%-52s %.2f s\n' "cold start -> CoreDNS answers" "$(awk "BEGIN{print $dns - $start}")"
printf '%-52s %d MB\n' "shoal VmRSS, addons + 6 echo pods, ${IDLE}s idle" $(( $(field $pid VmRSS) / 1024 ))
printf '%-52s %d MB\n' "shoal VmHWM" $(( $(field $pid VmHWM) / 1024 ))
printf '%-52s %d MB\n' "containerd VmRSS" $(( $(field $ctrd VmRSS) / 1024 ))
printf '%-52s %d MB (%d shims)\n' "shims VmRSS, summed" "$(sum_rss "$shims")" "$(echo $shims | wc -w)"
printf '%-52s %d MB\n' "whole tree VmRSS (shoal+containerd+shims+pods)" "$(sum_rss "$all")"
printf '%-52s %d MB\n' "whole tree PSS (shared pages counted once)" "$(sum_pss "$all")"
k delete deploy echo --wait=true >/dev/null
in_ns go run ./bench/podstart -kubeconfig "$dir/kc.yaml" -n 30
for c in 12 24; do
	in_ns go run ./bench/podstart -kubeconfig "$dir/kc.yaml" -n 48 -clients $c | tail -1
done
