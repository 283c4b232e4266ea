#!/usr/bin/env bash
# Pod throughput on one node with every addon, measured every way the
# README quotes it, one after the other on the same server, so that the
# figures can be compared (issue 18: they disagreed):
#   - `kubectl create deployment --replicas=30` timed until `kubectl rollout
#     status` returns (what a user sees)
#   - bench/podstart -deployment: the same Deployment, per-pod latency
#     from the watch
#   - bench/podstart: 30 bare pods created at once
#   - bench/podstart -clients C for C = 1, 12, 30: each client creates a
#     pod, waits for it Ready, creates the next (the published
#     comparisons' method)
# The host's load average is printed first: anything else running (a
# build) makes every figure slower.
# Usage: bench/throughput.sh   (root; `make build images` first)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
trap 'stop_shoal; netns_down' EXIT
PODSTART=$(mktemp -d)/podstart
go build -o "$PODSTART" ./bench/podstart
figure "load average (1 min) at start" "$(cut -d' ' -f1 /proc/loadavg)" "" "nothing else should run"
netns_up
start_shoal
for d in coredns metrics-server traefik; do addon_ready "$d" 300s; done
gone() { until [[ -z "$(k get pods -l "$1" -o name 2>/dev/null)" ]]; do sleep 0.5; done; }

t0=$(date +%s.%N)
k create deployment kc30 --image=localhost/shoal-echo:v1 --replicas=30 >/dev/null
k rollout status deploy/kc30 --timeout=300s >/dev/null
t1=$(date +%s.%N)
figure "kubectl create deployment --replicas=30 -> rollout status" "$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")" s "wall clock, real kubectl 1.33"
figure "  as pods/min" "$(awk "BEGIN{printf \"%.0f\", 30 / ($t1 - $t0) * 60}")" pods/min ""
k delete deployment kc30 >/dev/null; gone app=kc30

P="bench/podstart"
out=$(in_ns "$PODSTART" -kubeconfig "$dir/kc.yaml" -n 30 -deployment); gone bench=podstart-deployment
figure "Deployment of 30: pods/min" "$(value_of "pods/min" <<<"$out")" pods/min "$P -deployment: Create -> last pod Ready"
figure "Deployment of 30: pod start p50 / p95" "$(value_of "pod start latency, median" <<<"$out") / $(value_of "pod start latency, p95" <<<"$out")" s "pod first seen -> Ready"
out=$(in_ns "$PODSTART" -kubeconfig "$dir/kc.yaml" -n 30); gone bench=podstart
figure "30 bare pods at once: pods/min" "$(value_of "pods/min" <<<"$out")" pods/min "$P: 30 Creates together -> last Ready"
figure "30 bare pods at once: pod start p50 / p95" "$(value_of "pod start latency, median" <<<"$out") / $(value_of "pod start latency, p95" <<<"$out")" s "Create returned -> Ready"
for c in 1 12 30; do
  n=$((c * 4)); [[ $c == 1 ]] && n=10; [[ $c == 30 ]] && n=90 # a node takes 110 pods
  out=$(in_ns "$PODSTART" -kubeconfig "$dir/kc.yaml" -n $n -clients $c); gone bench=podstart
  figure "$c clients: pods/min" "$(value_of "pods/min" <<<"$out")" pods/min "$P -clients $c -n $n: create, wait Ready, next"
  figure "$c clients: pod start p50 / p95" "$(value_of "pod start latency, median" <<<"$out") / $(value_of "pod start latency, p95" <<<"$out")" s ""
done
