# Shared by bench/node.sh and bench/addons.sh: a network namespace standing
# for the node, shoal started in it on a fresh data dir, and its process tree.
NS=${NS:-shoal-bench}
BIN=$(realpath "${SHOAL_BIN:-bin/shoal}")
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
in_ns() { nsenter --net=/var/run/netns/$NS "$@"; }
k() { in_ns "$KUBECTL" --kubeconfig "$dir/kc.yaml" "$@"; }

# addon_ready NAME TIMEOUT: an addon's Deployment rolled out; metrics-server
# runs in shoal's process: its APIService Available.
addon_ready() {
  if [[ $1 == metrics-server ]]; then
    k wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout="$2" >/dev/null
  else
    k -n kube-system rollout status "deploy/$1" --timeout="$2" >/dev/null
  fi
}

# A page fault in a file mapping reads READAHEAD_KB around it. The kernel's
# default, and an SD card's or a USB disk's, is 128 KiB; a cloud VM's disk
# may say 8 MiB, which makes every binary's page cache, charged to a box,
# several times what a device would hold. readahead_set gives the disk that
# holds the binary a device's value; readahead_restore puts the old one back.
READAHEAD_KB=${READAHEAD_KB:-128}
readahead_set() {
  local dev
  dev=$(basename "$(findmnt -no SOURCE -T "$BIN")")
  [[ -e /sys/class/block/$dev/partition ]] && dev=$(basename "$(readlink -f "/sys/class/block/$dev/..")")
  ra_file=/sys/class/block/$dev/queue/read_ahead_kb
  ra_old=$(cat "$ra_file")
  echo "$READAHEAD_KB" >"$ra_file"
}
readahead_restore() { [[ -z "${ra_file:-}" ]] || echo "$ra_old" >"$ra_file"; }

netns_up() {
  netns_down
  ip netns add $NS
  ip link add vh-$NS type veth peer name eth0 netns $NS
  ip addr add 10.93.0.1/24 dev vh-$NS && ip link set vh-$NS up
  ip -n $NS addr add 10.93.0.2/24 dev eth0 && ip -n $NS link set eth0 up && ip -n $NS link set lo up
  ip -n $NS route add default via 10.93.0.1
}

netns_down() {
  ip netns del $NS 2>/dev/null || true
  ip link del vh-$NS 2>/dev/null || true
}

# start_shoal ARGS...: fresh data dir with every image of dist/images in the
# air-gap directory; sets dir, pid and start (epoch seconds).
start_shoal() {
  dir=$(mktemp -d /tmp/shoal-bench.XXXXXX)
  mkdir -p "$dir/agent/images" && cp dist/images/*.tar "$dir/agent/images/"
  start=$(date +%s.%N)
  nsenter --net=/var/run/netns/$NS "$BIN" server -d "$dir" -o "$dir/kc.yaml" --node-name "$NS" \
    --kubelet-arg=cgroup-root=/$NS "$@" >"$dir/out.log" 2>"$dir/err.log" &
  pid=$!
  until grep -qs "node $NS Ready" "$dir/out.log"; do
    kill -0 "$pid" 2>/dev/null || { echo "shoal exited:"; tail -5 "$dir/err.log"; exit 1; }
    sleep 0.05
  done
}

# stop_shoal: deletes workloads, stops shoal, kills what is left of its pods,
# unmounts and removes the data dir.
stop_shoal() {
  set +e
  [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  for p in $(ip netns pids $NS 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h$NS" ]] && find "$h$NS" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null
  done
  sleep 0.5
  for h in /sys/fs/cgroup/*/; do [[ -d "$h$NS" ]] && find "$h$NS" -depth -type d -exec rmdir {} + 2>/dev/null; done
  [[ -n "${dir:-}" ]] && grep " $dir/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
  [[ -n "${dir:-}" ]] && rm -rf "$dir"
  pid= dir=
  set -e
}

# tree: shoal, its containerd, every shim of that containerd and the pods'
# processes under them.
tree() {
  local ctrd shims pods s
  ctrd=$(pgrep -f "containerd --config $dir/agent/etc/containerd/config.toml" | head -1)
  shims=$(pgrep -f "containerd-shim-runc-v2 .*-address $dir/agent/run/containerd/containerd.sock" || true)
  pods=""
  for s in $shims; do pods="$pods $(pgrep -P "$s" | tr '\n' ' ')"; done
  echo "$pid $ctrd $shims $pods"
}
field() { awk -v f="$2:" '$1==f{print $2}' /proc/$1/status; }
sum_rss() { local t=0 p; for p in $1; do t=$((t + $(field "$p" VmRSS))); done; echo $((t / 1024)); }
sum_pss() { local t=0 p; for p in $1; do t=$((t + $(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup))); done; echo $((t / 1024)); }

# dns_answers: does the cluster DNS answer kubernetes.default from the node?
dns_answers() {
  in_ns python3 - "$1" <<'PY'
import socket, struct, sys
name = "kubernetes.default.svc.cluster.local"
q = struct.pack(">HHHHHH", 7, 0x100, 1, 0, 0, 0) + b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
try:
    s.sendto(q, (sys.argv[1], 53)); r = s.recv(512)
    sys.exit(0 if struct.unpack(">H", r[6:8])[0] > 0 else 1)
except OSError:
    sys.exit(1)
PY
}

# figure NAME VALUE UNIT METHOD: prints one figure and, when FIGURES names
# a file (bench/all.sh, `make bench`), appends it there as a TSV line for
# the single table.
figure() {
  printf '%-52s %s %s\n' "$1" "$2" "$3"
  [[ -z "${FIGURES:-}" ]] || printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$FIGURES"
}
# line LABEL <<< OUTPUT: the value after LABEL in a Go benchmark's output.
value_of() { awk -v l="$1" 'index($0, l) == 1 { sub(/^.*  +/, ""); print $1; exit }'; }
