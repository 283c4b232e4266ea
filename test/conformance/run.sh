#!/usr/bin/env bash
# Runs the upstream [Conformance] tests air-gapped against a fresh two-node
# shoal cluster and writes the report under docs/conformance/.
#   cluster: `shoal server` (with its own node) in network namespace
#   sc-server (10.98.0.2) and `shoal agent` in sc-agent (10.98.0.3), on a
#   bridge; every image the tests run is imported from dist/e2e/images
#   (tools/e2e/images.sh) — nothing is pulled.
#   suite: dist/e2e/e2e.test and dist/e2e/ginkgo (tools/e2e, Kubernetes at
#   shoal's version); kubectl is shoal's own (`shoal kubectl`, same version).
# Usage: test/conformance/run.sh parallel|serial   (root; `make conformance`)
#   FOCUS=regex [OUTDIR=dir] narrow a parallel run (a smoke test of the setup);
#   its report goes to dist/conformance/…-focused unless OUTDIR says otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:?usage: run.sh parallel|serial}
PROCS=${PROCS:-4}
BIN=$(realpath "${SHOAL_BIN:-bin/shoal}")
E2E=$(realpath dist/e2e)
K8S_VERSION=$(sed -n 's/^K8S_VERSION := //p' Makefile)
# A focused run (a smoke test) must not overwrite the full run's report.
if [[ -n "${FOCUS:-}" ]]; then
  OUTDIR=${OUTDIR:-dist/conformance/$K8S_VERSION-$MODE-focused}
else
  OUTDIR=${OUTDIR:-docs/conformance/$K8S_VERSION-$MODE}
fi
BR=br-sconf
case $MODE in
  parallel) FOCUS=${FOCUS:-'\[Conformance\]'} SKIP='\[Serial\]|\[Disruptive\]' ;;
  serial) FOCUS='\[Serial\].*\[Conformance\]|\[Conformance\].*\[Serial\]' SKIP='\[Disruptive\]' PROCS=1 ;;
  *) echo "run.sh: mode must be parallel or serial, got $MODE" >&2; exit 2 ;;
esac

down() {
  set +e
  for p in ${apid:-} ${spid:-}; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  for ns in sc-server sc-agent; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill -9 "$p"; done
    for h in /sys/fs/cgroup/*/; do
      [[ -d "$h$ns" ]] && find "$h$ns" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
    done
  done
  sleep 0.5
  for ns in sc-server sc-agent; do
    for h in /sys/fs/cgroup/*/; do [[ -d "$h$ns" ]] && find "$h$ns" -depth -type d -exec rmdir {} + 2>/dev/null; done
    ip netns del $ns 2>/dev/null; ip link del vh-$ns 2>/dev/null
  done
  ip link del $BR 2>/dev/null
  for d in ${sdir:-} ${adir:-}; do
    grep " $d/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
    [[ -n "${KEEP:-}" ]] || rm -rf "$d"
  done
  set -e
}
trap down EXIT
down
ip link add $BR type bridge && ip addr add 10.98.0.1/24 dev $BR && ip link set $BR up
i=2
for ns in sc-server sc-agent; do
  ip netns add $ns
  ip link add vh-$ns type veth peer name eth0 netns $ns
  ip link set vh-$ns master $BR up
  ip -n $ns addr add 10.98.0.$i/24 dev eth0 && ip -n $ns link set eth0 up && ip -n $ns link set lo up
  ip -n $ns route add default via 10.98.0.1
  i=$((i + 1))
done

sdir=$(mktemp -d /tmp/shoal-conf-server.XXXXXX) adir=$(mktemp -d /tmp/shoal-conf-agent.XXXXXX)
for d in $sdir $adir; do mkdir -p $d/agent/images && cp dist/images/*.tar dist/e2e/images/*.tar $d/agent/images/; done
# The ingress controller and metrics-server are no part of conformance and
# cost CPU a 2-core machine needs for the tests.
nsenter --net=/var/run/netns/sc-server "$BIN" server -d "$sdir" -o "$sdir/kc.yaml" --node-name sc-server \
  --kubelet-arg=cgroup-root=/sc-server --disable ingress,metrics-server >"$sdir/out.log" 2>&1 &
spid=$!
until grep -q "shoal: server ready in" "$sdir/out.log"; do kill -0 $spid || { tail "$sdir/out.log"; exit 1; }; sleep 0.2; done
nsenter --net=/var/run/netns/sc-agent "$BIN" agent -d "$adir" --server https://10.98.0.2:6443 \
  --token "$(cat "$sdir/server/token")" --node-name sc-agent --kubelet-arg=cgroup-root=/sc-agent >"$adir/out.log" 2>&1 &
apid=$!
# The suite runs on the host: the admin kubeconfig, pointed at the server's
# address on the bridge (in the server's certificate as its node IP).
KC=$sdir/kc-host.yaml
sed 's|https://127.0.0.1:6443|https://10.98.0.2:6443|' "$sdir/kc.yaml" >"$KC"
mkdir -p "$E2E/bin" && ln -sf "$BIN" "$E2E/bin/kubectl"
k() { "$E2E/bin/kubectl" --kubeconfig "$KC" "$@"; }
until k get node sc-agent >/dev/null 2>&1; do kill -0 $apid || { tail "$adir/out.log"; exit 1; }; sleep 1; done
k wait --for=condition=Ready node --all --timeout=300s
k -n kube-system rollout status deploy/coredns --timeout=300s

report=$(mktemp -d /tmp/shoal-conf-report.XXXXXX)
start=$(date +%s)
set +e
"$E2E/ginkgo" --procs="$PROCS" --timeout=3h --focus="$FOCUS" --skip="$SKIP" --no-color --silence-skips \
  --junit-report="$report/junit.xml" "$E2E/e2e.test" -- \
  --kubeconfig="$KC" --provider=skeleton --kubectl-path="$E2E/bin/kubectl" \
  --report-dir="$report" --non-blocking-taints=node-role.kubernetes.io/control-plane 2>&1 | tee "$report/e2e.log"
rc=${PIPESTATUS[0]}
set -e
secs=$(($(date +%s) - start))
mkdir -p "$OUTDIR"
go run ./tools/conformance-report -junit "$report/junit.xml" -out "$OUTDIR" -mode "$MODE" -seconds "$secs" \
  -kubernetes "$K8S_VERSION" -shoal "$("$BIN" version | head -1)" -procs "$PROCS"
gzip -c "$report/e2e.log" >"$OUTDIR/e2e.log.gz"
echo "ginkgo exit code $rc; report in $OUTDIR"
