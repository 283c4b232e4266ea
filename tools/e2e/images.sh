#!/usr/bin/env bash
# Builds, with no registry, every image the [Conformance] tests run, under
# the names the suite expects (`e2e.test --list-images`), as image tarballs
# in OUT (default dist/e2e/images) — shoal's air-gap format.
#   Go programs (agnhost, nnp, sample-apiserver, etcd) from their upstream
#   modules: tools/e2e/go.mod pins k8s.io/kubernetes at shoal's version;
#   the tools around them (busybox, dig, curl, nc, socat, iperf, nginx,
#   getent, bash, ip) from Debian packages, with the shared libraries they
#   link (ldd) — the upstream images take the same tools from Alpine/Debian.
# Usage: tools/e2e/images.sh [OUT]   (run from the repository root, as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-dist/e2e/images}
WORK=dist/e2e/work
DEB=$PWD/$WORK/debroot
MK="go run ./tools/mkimage"
E2E=registry.k8s.io/e2e-test-images
K8S=$(cd tools/e2e && go list -m -f '{{.Dir}}' k8s.io/kubernetes)
PKGS="busybox-static bind9-dnsutils bind9-libs libjemalloc2 libuv1 libmaxminddb0 libfstrm0 libprotobuf-c1
  liblmdb0 netcat-openbsd socat libwrap0 iperf nginx nginx-common"
mkdir -p "$OUT" "$WORK/debs" "$WORK/bin"
rm -rf "$DEB" "$WORK"/root-*

# Debian packages, downloaded once and unpacked (not installed: nginx
# would start a service on the host).
if ! ls "$WORK"/debs/nginx_*.deb >/dev/null 2>&1; then
  (cd "$WORK/debs" && { apt-get download $PKGS || { apt-get update && apt-get download $PKGS; }; })
fi
for f in "$WORK"/debs/*.deb; do dpkg-deb -x "$f" "$DEB"; done
LIBS=$DEB/usr/lib/x86_64-linux-gnu:$DEB/lib/x86_64-linux-gnu

# Go programs, static.
(cd tools/e2e && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OLDPWD/$WORK/bin/agnhost" k8s.io/kubernetes/test/images/agnhost)
(cd tools/e2e && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OLDPWD/$WORK/bin/nnp" k8s.io/kubernetes/test/images/nonewprivs)
(cd tools/e2e && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OLDPWD/$WORK/bin/sample-apiserver" k8s.io/sample-apiserver)
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$WORK/bin/etcd" ./tools/etcd

# add ROOT FILE [PATH]: FILE at PATH in ROOT (PATH defaults to FILE without
# the unpacked-packages prefix), with every library ldd says it needs.
add() {
  local root=$1 f=$2 dest=${3:-${2#$DEB}} lib
  mkdir -p "$root$(dirname "$dest")" && rm -f "$root$dest"
  cp -L "$f" "$root$dest"
  if LD_LIBRARY_PATH=$LIBS ldd "$f" 2>/dev/null | grep -q 'not found'; then
    echo "images.sh: $f: a library is missing: $(LD_LIBRARY_PATH=$LIBS ldd "$f" | grep 'not found' | head -1)" >&2
    exit 1
  fi
  for lib in $(LD_LIBRARY_PATH=$LIBS ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/lib/ {print $1}'); do
    dest=${lib#$DEB}
    [[ -e "$root$dest" ]] || { mkdir -p "$root$(dirname "$dest")" && cp -L "$lib" "$root$dest"; }
  done
}

# base ROOT: busybox with every applet linked, users and groups, /tmp.
base() {
  local root=$1 a
  mkdir -p "$root"/{bin,etc,root,tmp,proc,sys,dev,usr/bin,usr/sbin,sbin,var/run}
  chmod 1777 "$root/tmp"
  cp "$DEB/bin/busybox" "$root/bin/busybox"
  # Every applet in /bin, as in the upstream busybox image (tests exec
  # /bin/sysctl, /bin/top...), and at Debian's path when that differs.
  for a in $("$DEB/bin/busybox" --list) $("$DEB/bin/busybox" --list-full); do
    [[ $a == */* ]] || a=bin/$a
    [[ -e "$root/$a" || -L "$root/$a" ]] || ln -s /bin/busybox "$root/$a"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
    'user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh' >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' 'user-defined-in-image:x:1000:' \
    'group-defined-in-image:x:50000:user-defined-in-image' >"$root/etc/group"
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
}

# finish ROOT: the dynamic loader's cache, so libraries are found where
# they were copied.
finish() {
  printf '%s\n' /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu >"$1/etc/ld.so.conf"
  [[ -d "$1/lib/x86_64-linux-gnu" || -d "$1/usr/lib/x86_64-linux-gnu" ]] && ldconfig -r "$1"
  return 0
}

image() { # image NAME REFS [mkimage flags...]
  local name=$1 refs=$2
  shift 2
  $MK -ref "$refs" -o "$OUT/$name.tar" -env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# busybox, with bash as /bin/sh: Debian's busybox shell (1.35) drops
# environment variables whose names are no shell identifiers ("data-1",
# which the ConfigMap/Secret env tests set) before running `env`; bash
# passes them on, as the upstream image's shell does.
R=$WORK/root-busybox; base "$R"
add "$R" /usr/bin/bash && ln -sf /usr/bin/bash "$R/bin/sh"
finish "$R"
image busybox $E2E/busybox:1.37.0-2 -rootfs "$R" -cmd '["sh"]'

# agnhost (and its old tag), kitten, nautilus: busybox plus the network tools.
R=$WORK/root-agnhost; base "$R"
add "$R" "$WORK/bin/agnhost" /agnhost && ln -s agnhost "$R/agnhost-2"
cp "$K8S/test/images/agnhost/porter/localhost.crt" "$K8S/test/images/agnhost/porter/localhost.key" "$R/"
chmod 0644 "$R"/localhost.*
mkdir -p "$R/uploads" "$R/usr/local/bin" "$R/home/user-defined-in-image"
[[ -e dist/bin/coredns ]] && add "$R" dist/bin/coredns /coredns
for f in $DEB/usr/bin/dig $DEB/usr/bin/nslookup $DEB/usr/bin/socat $DEB/usr/bin/iperf /usr/bin/curl /usr/bin/bash /usr/sbin/ip /usr/bin/getent; do add "$R" "$f"; done
add "$R" "$DEB/bin/nc.openbsd" /usr/bin/nc && rm -f "$R/bin/nc"
ln -s /usr/bin/iperf "$R/usr/local/bin/iperf"
# /bin/sh is bash here: Debian's static busybox shell runs its own applets
# before PATH (so `nc -v` would be busybox's nc, which has no -v); the
# upstream image's Alpine shell looks PATH up first, as bash does.
ln -sf /usr/bin/bash "$R/bin/sh"
finish "$R"
image agnhost $E2E/agnhost:2.66.1,$E2E/agnhost:2.55 -rootfs "$R" -entrypoint '["/agnhost"]' -cmd '["pause"]' -ports 80/tcp,8080/tcp,8081/tcp,9376/tcp,5000/tcp
for pet in kitten nautilus; do
  image $pet $E2E/$pet:1.8 -rootfs "$R" -file "/$pet.jpg=$K8S/test/images/$pet/html/$pet.jpg" \
    -file "/data.json=$K8S/test/images/$pet/html/data.json" -entrypoint '["/agnhost"]' -cmd '["test-webserver"]'
done

# nginx at both tags: Debian's nginx serving /usr/share/nginx/html on 80.
R=$WORK/root-nginx; base "$R"
add "$R" "$DEB/usr/sbin/nginx"
mkdir -p "$R"/etc/nginx "$R"/usr/share/nginx/html "$R"/var/log/nginx "$R"/var/lib/nginx "$R"/run
cp "$DEB/etc/nginx/mime.types" "$R/etc/nginx/"
cat >"$R/etc/nginx/nginx.conf" <<'EOF'
user nobody nogroup;
worker_processes 1;
error_log /dev/stderr notice;
pid /run/nginx.pid;
events { worker_connections 256; }
http {
  include mime.types;
  access_log /dev/stdout;
  server { listen 80; root /usr/share/nginx/html; index index.html; }
}
EOF
echo '<html><body>Welcome to nginx!</body></html>' >"$R/usr/share/nginx/html/index.html"
ln -s /dev/stdout "$R/var/log/nginx/access.log" && ln -s /dev/stderr "$R/var/log/nginx/error.log"
finish "$R"
image nginx $E2E/nginx:1.27.0-2 -rootfs "$R" -cmd '["nginx","-g","daemon off;"]' -ports 80/tcp
image nginx-new $E2E/nginx:1.28.0-2 -rootfs "$R" -cmd '["nginx","-g","daemon off;"]' -ports 80/tcp

# glibc-dns-testing: glibc's resolver (getent) and dig.
R=$WORK/root-glibc; base "$R"
for f in $DEB/usr/bin/dig /usr/bin/getent /usr/bin/bash; do add "$R" "$f"; done
ln -sf /usr/bin/bash "$R/bin/sh"
finish "$R"
image glibc-dns-testing $E2E/glibc-dns-testing:2.1.1 -rootfs "$R" -cmd '["bash"]'

# nonroot (USER 1234) and nonewprivs (a set-uid program).
R=$WORK/root-busybox
image nonroot $E2E/nonroot:1.5 -rootfs "$R" -user 1234 -cmd '["sh"]'
R=$WORK/root-nnp; base "$R"; finish "$R"
install -D -m 4755 "$WORK/bin/nnp" "$R/usr/local/bin/nnp"
image nonewprivs $E2E/nonewprivs:1.4 -rootfs "$R" -cmd '["nnp"]'

# The aggregator test's pair: sample-apiserver and etcd.
R=$WORK/root-busybox
image sample-apiserver $E2E/sample-apiserver:1.29.2 -rootfs "$R" -file "/sample-apiserver=$WORK/bin/sample-apiserver" \
  -entrypoint '["/sample-apiserver"]'
image etcd registry.k8s.io/etcd:3.7.0-0 -rootfs "$R" -file "/usr/local/bin/etcd=$WORK/bin/etcd" -cmd '["/usr/local/bin/etcd"]'
ls -la "$OUT"
