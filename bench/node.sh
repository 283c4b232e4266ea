#!/usr/bin/env bash
# Measures `shoal server` with its local node and every addon, in a network
# namespace of its own (10.93.0.2 behind a veth), on a fresh data dir with
# every image of dist/images in the air-gap directory:
#   - seconds from process start to the node's Ready condition, and until
#     CoreDNS answers kubernetes.default from the node
#   - VmRSS/PSS summed over its whole tree (shoal, containerd, every shim,
#     the pods), idle, then with 6 echo pods; VmHWM of the shoal process
#   - pod start latency: one pod at a time, and p50/p95 of 30 at once
#   - pods/min with 8 and 24 clients each creating pods one after another
#     (the client counts of the published K3s figures, bench/k3s.tsv)
#   - the tree idle again on a fresh server with every addon disabled
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

# Idle, every addon running, no workload.
for d in coredns metrics-server traefik; do addon_ready "$d" 180s; done
sleep "$IDLE"
idle=$(tree)
k create deployment echo --image=localhost/shoal-echo:v1 --replicas=6 >/dev/null
k rollout status deploy/echo --timeout=180s >/dev/null
sleep "$IDLE"
all=$(tree)
shims=$(pgrep -f "containerd-shim-runc-v2 .*-address $dir/agent/run/containerd/containerd.sock" || true)
ctrd=$(pgrep -f "containerd --config $dir/agent/etc/containerd/config.toml" | head -1)

M="bench/node.sh: one server with its node in a network namespace, fresh data dir, images imported"
figure "cold start -> node Ready" "$(awk "BEGIN{printf \"%.1f\", $ready - $start}")" s "$M; start of shoal to the kubelet's Ready"
figure "cold start -> CoreDNS answers" "$(awk "BEGIN{printf \"%.1f\", $dns - $start}")" s "$M; start to an A answer for kubernetes.default from 10.43.0.10"
figure "server tree idle, all addons: VmRSS" "$(sum_rss "$idle")" MB "$M; ${IDLE}s after every addon rolled out; shoal+containerd+shims+pods summed"
figure "server tree idle, all addons: PSS" "$(sum_pss "$idle")" MB "same processes, shared pages counted once (smaps_rollup)"
figure "server tree, addons + 6 echo pods: VmRSS" "$(sum_rss "$all")" MB "same, ${IDLE}s after a 6-replica Deployment is ready"
figure "shoal process VmHWM" $(( $(field $pid VmHWM) / 1024 )) MB "peak of the shoal process since start"
k delete deploy echo --wait=true >/dev/null
out=$(in_ns go run ./bench/podstart -kubeconfig "$dir/kc.yaml" -n 10 -clients 1)
P="bench/podstart: Create returned -> watch sees Ready"
figure "pod start latency p50, one at a time" "$(value_of "pod start latency, median" <<<"$out")" s "$P; 10 pods, one client"
out=$(in_ns go run ./bench/podstart -kubeconfig "$dir/kc.yaml" -n 30)
figure "pod start latency p50, 30 at once" "$(value_of "pod start latency, median" <<<"$out")" s "$P; 30 pods created together"
figure "pod start latency p95, 30 at once" "$(value_of "pod start latency, p95" <<<"$out")" s "$P; 30 pods created together"
for c in 8 24; do
  out=$(in_ns go run ./bench/podstart -kubeconfig "$dir/kc.yaml" -n 48 -clients $c)
  figure "pods/min, $c clients" "$(value_of "pods/min" <<<"$out")" pods/min "bench/podstart -clients $c: each client creates a pod, waits for Ready, creates the next; 48 pods"
done
stop_shoal

# The same server with every addon disabled.
start_shoal --disable coredns,servicelb,local-storage,metrics-server,ingress
sleep "$IDLE"
figure "server tree idle, no addons: VmRSS" "$(sum_rss "$(tree)")" MB "bench/node.sh: --disable of all five addons, ${IDLE}s idle; shoal+containerd"
figure "server tree idle, no addons: PSS" "$(sum_pss "$(tree)")" MB "same processes, shared pages counted once"
