#!/usr/bin/env bash
# Scale test with upstream kubemark hollow nodes: how many nodes and pods
# the control plane (`shoal server --disable-agent`, every addon disabled:
# datastore, kube-apiserver, controller-manager and scheduler in one
# process) holds on this machine, and what that costs.
#
# Method:
#   - The server runs in its own network namespace sk-server (10.99.0.2,
#     veth vh-sk-server to the host at 10.99.0.1) on a fresh data dir.
#   - NODES hollow nodes: one `kubemark --morph=kubelet` process each
#     (dist/e2e/kubemark, k8s.io/kubernetes/cmd/kubemark at the embedded
#     Kubernetes version): a real kubelet (sync loop, node status and lease
#     heartbeats every 10 s, pod workers, status manager, volume manager)
#     over a fake CRI runtime, fake image service (--use-host-image-service
#     =false) and fake cAdvisor, so a pod goes Running with no container.
#     They run in the sk-server namespace too, so their ports and the
#     iptables chains kubelet writes stay off the host; each has its own
#     kubelet port (PORT0+i, read-only port off) and a private mount
#     namespace in which /tmp is that node's directory of this run (kubemark
#     puts its root dir and fake CRI socket under /tmp; the node's
#     kubeconfig and key are there, as /tmp/kc.yaml ...) and /etc/hosts
#     names the node. Without that entry kubelet (no --node-ip) resolves its
#     own name through a DNS server the namespace cannot reach, 10 s per
#     try, registers 20 s late and loses the race with its CSINode
#     initialisation (retries at about 0.3, 2 and 18 s, then 140 s): nodes
#     take 150 s to go Ready instead of 1-2 s.
#     They run at nice 19 (HOLLOW_NICE) so that the control plane gets the
#     CPU first, as it would on its own machine: 50 hollow kubelets take
#     about 1.2 of the 2 cores here, and starting 50 at once takes most of
#     the "nodes Ready" seconds.
#   - Each hollow node authenticates as itself: a client certificate
#     O=system:nodes, CN=system:node:NAME signed by the server's client CA,
#     so the Node authorizer and NodeRestriction do their real work.
#   - Seconds from starting the hollow nodes until all NODES are Ready.
#   - Then one Deployment of NODES*PODS_PER_NODE pods (any image name: the
#     hollow runtime fakes it; service-account token volumes are real, so
#     every pod costs a TokenRequest) and the seconds until all are Running
#     (counted from one watch of the namespace): created by the ReplicaSet
#     controller, scheduled, bound, started and reported. pods/min is the
#     pods Running over those seconds. No change for STALL seconds ends the
#     wait: the figures are printed with the pods reached, exit status 1.
#   - A consistency check: pod creations kube-apiserver answered 201 against
#     the pods stored. A datastore that acknowledges a write it did not make
#     leaves the ReplicaSet controller waiting for pods that never come.
#   - Server process VmRSS and VmHWM, its CPU seconds over the run and its
#     CPU share while holding everything for STEADY seconds; hollow node
#     VmRSS (min/avg/max) and their PSS summed; from kube-apiserver's own
#     metrics (the difference of a scrape before the hollow nodes start and
#     one at the end): request latency p50/p99 (WATCH/CONNECT excluded), how
#     long consistent reads waited for the watch cache (= how far the watch
#     from the datastore lags behind writes), 429/5xx responses and the
#     slowest kinds of request; error lines in the server's log, its etcd
#     client's failed calls and GOAWAYs.
# Other work on the machine shares the 2 cores: the load average at start
# is part of each figure's description.
#
# Usage: bench/scale.sh [NODES] [PODS_PER_NODE]   (root; defaults 50 and 30)
#   needs bin/shoal (make build) and dist/e2e/kubemark:
#   cd tools/e2e && go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v1.37.2" \
#     -o ../../dist/e2e/kubemark k8s.io/kubernetes/cmd/kubemark   (without -X nodes report v0.0.0-master)
# Environment: NODE_TIMEOUT (s, 600), POD_TIMEOUT (s, 900), STALL (s, 120),
#   STEADY (s, 30), PORT0 (20250), HOLLOW_NICE (19), KUBEMARK (path),
#   SHOAL_ARGS (more server flags: --cluster-init runs it on embedded etcd),
#   SCALE_LOGS=DIR keeps the server's and the first hollow node's logs.
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${1:-50} PPN=${2:-30}
PODS=$((NODES * PPN))
NS=sk-server
. bench/lib.sh # BIN, in_ns, field, figure
declare -F figure >/dev/null || figure() { printf '%-52s %s %s\n' "$1" "$2" "$3"; }
KUBEMARK=$(realpath "${KUBEMARK:-dist/e2e/kubemark}")
NODE_TIMEOUT=${NODE_TIMEOUT:-600} POD_TIMEOUT=${POD_TIMEOUT:-900} STALL=${STALL:-120} STEADY=${STEADY:-30}
PORT0=${PORT0:-20250} HOLLOW_NICE=${HOLLOW_NICE:-19}
MAXPODS=$((PPN > 100 ? PPN * 3 / 2 : 110))
[[ -x "$BIN" && -x "$KUBEMARK" ]] || { echo "needs $BIN and $KUBEMARK" >&2; exit 1; }
k() { in_ns "$BIN" kubectl --kubeconfig "$dir/kc.yaml" "$@"; }
now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }

hpids=()
down() {
  set +e
  if [[ -n "${SCALE_LOGS:-}" && -n "${dir:-}" && -d "$dir" ]]; then
    mkdir -p "$SCALE_LOGS" && cp "$dir/out.log" "$SCALE_LOGS/server.log" && cp "$dir/nodes/hollow-1/kubelet.log" "$SCALE_LOGS/hollow-1.log"
  fi
  [[ -n "${wpid:-}" ]] && kill "$wpid" $(pgrep -P "$wpid") 2>/dev/null
  for p in "${hpids[@]}"; do kill "$p" 2>/dev/null; done
  [[ -n "${spid:-}" ]] && kill "$spid" 2>/dev/null
  for p in "${hpids[@]}" ${spid:-}; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  wait 2>/dev/null
  for p in $(ip netns pids $NS 2>/dev/null); do kill -9 "$p"; done
  ip netns del $NS 2>/dev/null
  ip link del vh-$NS 2>/dev/null
  if [[ -n "${dir:-}" ]]; then
    grep " $dir/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
    rm -rf "$dir"
  fi
  set -e
}
trap down EXIT
down
ip netns add $NS
ip link add vh-$NS type veth peer name eth0 netns $NS
ip addr add 10.99.0.1/24 dev vh-$NS && ip link set vh-$NS up
ip -n $NS addr add 10.99.0.2/24 dev eth0 && ip -n $NS link set eth0 up && ip -n $NS link set lo up
ip -n $NS route add default via 10.99.0.1

load=$(cut -d' ' -f1-3 /proc/loadavg)
dir=$(mktemp -d /tmp/sk-scale.XXXXXX)
nsenter --net=/var/run/netns/$NS "$BIN" server -d "$dir" -o "$dir/kc.yaml" --disable-agent \
  --disable coredns,servicelb,local-storage,metrics-server,ingress ${SHOAL_ARGS:-} >"$dir/out.log" 2>&1 &
spid=$!
until grep -q "shoal: server ready in" "$dir/out.log"; do
  kill -0 $spid 2>/dev/null || { echo "shoal server exited:"; tail "$dir/out.log"; exit 1; }
  sleep 0.1
done
cpu0=$(awk '{print $14 + $15}' /proc/$spid/stat)
base=$(wc -l <"$dir/out.log")

# One client certificate and kubeconfig per hollow node.
tls=$dir/server/tls
ca=$(awk '/certificate-authority-data:/{print $2}' "$dir/kc.yaml")
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$dir/ext"
for i in $(seq "$NODES"); do
  n=hollow-$i nd=$dir/nodes/hollow-$i
  mkdir -p "$nd"
  printf '127.0.0.1 localhost\n10.99.0.2 %s\n' "$n" >"$nd/hosts"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$nd/key.pem" \
    -subj "/O=system:nodes/CN=system:node:$n" -out "$nd/csr.pem" 2>/dev/null
  openssl x509 -req -in "$nd/csr.pem" -CA "$tls/client-ca.crt" -CAkey "$tls/client-ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 2 -extfile "$dir/ext" -out "$nd/cert.pem" 2>/dev/null
  cat >"$nd/kc.yaml" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: shoal, cluster: {server: "https://10.99.0.2:6443", certificate-authority-data: $ca}}]
users: [{name: $n, user: {client-certificate: /tmp/cert.pem, client-key: /tmp/key.pem}}]
contexts: [{name: $n, context: {cluster: shoal, user: $n}}]
current-context: $n
EOF
done

# hollow_dead: the first hollow node that exited, with its log's tail.
hollow_dead() {
  local i
  for i in "${!hpids[@]}"; do
    kill -0 "${hpids[$i]}" 2>/dev/null && continue
    echo "hollow-$((i + 1)) exited:" >&2; tail -5 "$dir/nodes/hollow-$((i + 1))/kubelet.log" >&2
    return 0
  done
  kill -0 $spid 2>/dev/null || { echo "shoal server exited:" >&2; tail "$dir/out.log" >&2; return 0; }
  return 1
}

# kube-apiserver's request counters from here on: the difference of two
# scrapes, so the server's own start (its /readyz polling) is left out.
scrape() {
  k get --raw /metrics | grep -E '^apiserver_(request_(duration_seconds_(bucket|sum|count)|total)|watch_cache_read_wait_seconds_bucket)\{' || true
}
scrape >"$dir/metrics0"
t0=$(now)
for i in $(seq "$NODES"); do
  nd=$dir/nodes/hollow-$i
  nice -n "$HOLLOW_NICE" nsenter --net=/var/run/netns/$NS unshare --mount --propagation private \
    sh -c 'mount --bind "$0/hosts" /etc/hosts && mount --bind "$0" /tmp && exec "$@"' "$nd" \
    "$KUBEMARK" --morph=kubelet --name=hollow-$i --kubeconfig=/tmp/kc.yaml \
    --kubelet-port=$((PORT0 + i)) --kubelet-read-only-port=0 --max-pods=$MAXPODS \
    --use-host-image-service=false --node-labels=shoal.dev/hollow=true >"$nd/kubelet.log" 2>&1 &
  hpids+=($!)
done
ready=0 registered=0
while ((ready < NODES)); do
  hollow_dead && exit 1
  (($(secs "$t0" "$(now)" | cut -d. -f1) < NODE_TIMEOUT)) || { echo "timeout: $registered nodes registered, $ready of $NODES Ready after ${NODE_TIMEOUT}s" >&2; exit 1; }
  sleep 1
  st=$(k get nodes -l shoal.dev/hollow=true --no-headers -o 'custom-columns=R:.status.conditions[?(@.type=="Ready")].status' 2>/dev/null || true)
  registered=$(grep -c . <<<"$st" || true) ready=$(grep -c True <<<"$st" || true)
done
t_nodes=$(now)
echo "$NODES nodes Ready in $(secs "$t0" "$t_nodes") s" >&2

k create namespace scale >/dev/null
# Pods are counted from one watch (kubectl get -w, restarted if it ends:
# each line is a pod's name and phase, the last line of a pod counts), not
# by listing 1500 pods every second; the Deployment's own status is no
# guide: a ReplicaSet controller that waits for its expectations stops
# updating it. No change for STALL seconds (or POD_TIMEOUT in all) ends the
# wait: the figures are printed with the pods reached, and exit status 1.
(while :; do k -n scale get pods -w --no-headers -o 'custom-columns=N:.metadata.name,P:.status.phase' 2>/dev/null; sleep 1; done) >"$dir/pods.watch" &
wpid=$!
t1=$(now)
k apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: pause, namespace: scale}
spec:
  replicas: $PODS
  selector: {matchLabels: {app: pause}}
  template:
    metadata: {labels: {app: pause}}
    spec:
      nodeSelector: {shoal.dev/hollow: "true"}
      containers: [{name: pause, image: "registry.k8s.io/pause:3.10"}]
EOF
running_now() { awk '{p[$1] = $2} END {for (k in p) n += p[k] == "Running"; print n + 0}' "$dir/pods.watch"; }
running=0 last=0 t_last=$t1 stalled=
while ((running < PODS)); do
  hollow_dead && exit 1
  sleep 1
  running=$(running_now)
  ((running == last)) || last=$running t_last=$(now)
  if (($(secs "$t_last" "$(now)" | cut -d. -f1) >= STALL || $(secs "$t1" "$(now)" | cut -d. -f1) >= POD_TIMEOUT)); then
    stalled=1
    echo "STALLED: $running of $PODS pods Running, no change for $(secs "$t_last" "$(now)") s" >&2
    break
  fi
done
t_pods=$t_last
kill $wpid $(pgrep -P $wpid) 2>/dev/null || true
wpid=
stored=$(k -n scale get pods --no-headers 2>/dev/null | wc -l)
echo "$running pods Running in $(secs "$t1" "$t_pods") s" >&2

rss=$(field $spid VmRSS) hwm=$(field $spid VmHWM)
cpu1=$(awk '{print $14 + $15}' /proc/$spid/stat)
sleep "$STEADY"
cpu2=$(awk '{print $14 + $15}' /proc/$spid/stat)
hz=$(getconf CLK_TCK)
hrss=$(for p in "${hpids[@]}"; do field "$p" VmRSS; done | awk '{s+=$1; if(NR==1||$1<mn)mn=$1; if($1>mx)mx=$1} END{printf "%d / %d / %d", mn/1024, s/NR/1024, mx/1024}')
hpss=$(for p in "${hpids[@]}"; do awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup; done | awk '{s+=$1} END{printf "%d", s/1024}')

scrape | awk 'NR == FNR { a[$1] = $NF; next } { print $1, $NF - a[$1] }' "$dir/metrics0" - >"$dir/metrics"
# quantiles HISTOGRAM: count, p50 and p99 (ms) of a histogram of the
# scrape, summed over its series, for reads (verb GET, LIST), writes (any
# other verb but WATCH and CONNECT) and all: interpolated in the bucket as
# Prometheus' histogram_quantile does.
quantiles() {
  awk -v m="$1_bucket{" '
  index($0, m) == 1 {
    v = ""; if (match($0, /verb="[A-Z]+"/)) v = substr($0, RSTART + 6, RLENGTH - 7)
    if (v ~ /^(WATCH|WATCHLIST|CONNECT)$/) next
    c = (v ~ /^(GET|LIST)$/) ? "read" : "write"
    match($0, /le="[^"]+"/); le = substr($0, RSTART + 4, RLENGTH - 5)
    b[c, le] += $NF; b["all", le] += $NF; seen[le] = 1
  }
  function q(c, p,   i, r, prev, pc) {
    r = p * b[c, "+Inf"]; prev = 0; pc = 0
    if (r == 0) return 0
    for (i = 1; i <= n; i++) {
      if (b[c, L[i]] >= r) {
        if (L[i] == "+Inf") return prev
        return prev + (L[i] - prev) * (r - pc) / (b[c, L[i]] - pc)
      }
      prev = L[i]; pc = b[c, L[i]]
    }
  }
  END {
    for (le in seen) if (le != "+Inf") L[++n] = le
    for (i = 2; i <= n; i++) for (j = i; j > 1 && L[j] + 0 < L[j - 1] + 0; j--) { t = L[j]; L[j] = L[j - 1]; L[j - 1] = t }
    L[++n] = "+Inf"
    for (k = split("read write all", C, " "); k > 0; k--) printf "%d %.0f %.0f ", b[C[k], "+Inf"], q(C[k], .5) * 1000, q(C[k], .99) * 1000
  }' "$dir/metrics"
}
read -r _ _ _ nw w50 w99 nr r50 r99 <<<"$(quantiles apiserver_request_duration_seconds)"
read -r nwc wc50 wc99 _ <<<"$(quantiles apiserver_watch_cache_read_wait_seconds)"
acked=$(awk '/^apiserver_request_total\{/ && /code="201"/ && /resource="pods"/ && /subresource=""/ && /verb="POST"/ {s += $NF} END{print s + 0}' "$dir/metrics")
throttled=$(awk '/^apiserver_request_total\{/ && /code="(429|5[0-9][0-9])"/ {s += $NF} END{print s + 0}' "$dir/metrics")
tail -n +$((base + 1)) "$dir/out.log" | grep -E '^E[0-9]{4} ' >"$dir/errors" || true
errs=$(wc -l <"$dir/errors")
kine_fail=$(tail -n +$((base + 1)) "$dir/out.log" | grep -c '"msg":"retrying of unary invoker failed"' || true)
goaway=$(tail -n +$((base + 1)) "$dir/out.log" | grep -c 'too_many_pings' || true)

M="bench/scale.sh $NODES $PPN: shoal server --disable-agent in netns sk-server, $NODES kubemark hollow kubelets (same netns, own certs), load avg at start $load"
figure "hollow nodes" "$NODES" "" "$M"
figure "pods Running (Deployment of $PODS)" "$running" "" "$M; $PPN per node, max-pods $MAXPODS"
figure "hollow nodes start -> all Ready" "$(secs "$t0" "$t_nodes")" s "$M; $NODES kubemark processes started at once"
if [[ -z "$stalled" ]]; then
  figure "Deployment create -> all pods Running" "$(secs "$t1" "$t_pods")" s "$M; phases from a watch of the namespace"
else
  figure "Deployment create -> STALLED, pods Running" "$running of $PODS after $(secs "$t1" "$t_pods")" s "$M; no change for ${STALL}s after that"
fi
figure "pods created+scheduled+started per minute" "$(awk "BEGIN{d = $t_pods - $t1; printf \"%.0f\", (d > 0 ? $running * 60 / d : 0)}")" pods/min "$M"
figure "pod creations acknowledged (201) / pods stored" "$acked / $stored" "" "$M; apiserver_request_total POST pods 201 against a list of the namespace"
figure "server VmRSS / VmHWM, all pods Running" "$((rss / 1024)) / $((hwm / 1024))" MB "$M; the shoal server process (kine, apiserver, KCM, scheduler)"
figure "server CPU, nodes start -> pods Running" "$(awk "BEGIN{printf \"%.0f\", ($cpu1 - $cpu0) / $hz}")" s "$M; utime+stime"
figure "server CPU holding it all, ${STEADY}s" "$(awk "BEGIN{printf \"%.0f\", ($cpu2 - $cpu1) / $hz / $STEADY * 100}")" "% of a core" "$M"
figure "hollow node VmRSS min / avg / max" "$hrss" MB "$M; one kubemark process"
figure "hollow nodes PSS summed" "$hpss" MB "$M; shared pages counted once"
figure "apiserver read latency p50 / p99" "$r50 / $r99" "ms ($nr GET/LIST)" "$M; apiserver_request_duration_seconds over the run"
figure "apiserver write latency p50 / p99" "$w50 / $w99" "ms ($nw writes)" "$M; same, POST/PUT/PATCH/DELETE/APPLY"
figure "watch cache catch-up wait p50 / p99" "$wc50 / $wc99" "ms ($nwc consistent reads)" "$M; apiserver_watch_cache_read_wait_seconds: how far the datastore's watch lags behind writes"
figure "apiserver 429/5xx responses" "$throttled" "" "$M; apiserver_request_total"
figure "server log error lines (klog E) after ready" "$errs" "" "$M"
figure "failed datastore calls / GOAWAY too_many_pings" "$kine_fail / $goaway" "" "$M; kube-apiserver's etcd client warnings in the server log"
if ((throttled > 0)); then
  echo "kube-apiserver 429/5xx responses (count, code, verb, resource/subresource):"
  awk '/^apiserver_request_total\{/ && /code="(429|5[0-9][0-9])"/ {
    for (f in F) delete F[f]
    n = split(substr($1, index($1, "{") + 1), kv, /",/)
    for (i = 1; i <= n; i++) { split(kv[i], a, "=\""); F[a[1]] = a[2] }
    if ($NF > 0) printf "%7d %s %s %s/%s\n", $NF, F["code"], F["verb"], F["resource"], F["subresource"] }' "$dir/metrics" | sort -rn | head -8
fi
echo "slowest kube-apiserver requests (mean ms, count, verb, resource/subresource; 10 requests or more):"
awk '/^apiserver_request_duration_seconds_(sum|count)\{/ {
    for (f in F) delete F[f]
    n = split(substr($1, index($1, "{") + 1), kv, /",/)
    for (i = 1; i <= n; i++) { split(kv[i], a, "=\""); F[a[1]] = a[2] }
    if (F["verb"] ~ /^(WATCH|WATCHLIST|CONNECT)$/) next
    key = F["verb"] " " F["resource"] "/" F["subresource"]
    if ($1 ~ /_sum\{/) sum[key] += $NF; else cnt[key] += $NF }
  END { for (key in cnt) if (cnt[key] >= 10) printf "%7.0f %6d %s\n", sum[key] / cnt[key] * 1000, cnt[key], key }' "$dir/metrics" | sort -rn | head -6
if ((errs > 0)); then
  echo "most frequent server errors (count, file:line, start of message):"
  awk '{f = $4; c[f]++; if (!(f in m)) { $1 = $2 = $3 = $4 = ""; m[f] = substr($0, 5, 140) } }
    END { for (f in c) printf "%7d %s %s\n", c[f], f, m[f] }' "$dir/errors" | sort -rn | head -8
fi
if ((acked > stored)); then
  echo "WARNING: $((acked - stored)) pod creations were answered 201 Created but are not stored: the datastore acknowledged writes it did not make"
fi
[[ -z "$stalled" ]]
