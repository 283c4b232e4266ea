# shoal — see README.md. `make` builds bin/shoal.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
K8S_VERSION := v1.37.2
K8S_MINOR := 37
CONTAINERD_VERSION := 2.4.2
# Build tags: selinux for runc/containerd label support; the others drop
# code shoal never runs (Go's plugin package pulled in by kustomize,
# gRPC tracing, test-only helpers, containerd's btrfs/devmapper/zfs
# snapshotters).
TAGS := selinux,notest,grpcnotrace,kustomize_disable_go_plugin_support,no_btrfs,no_devmapper,no_zfs
PKG := github.com/shoal-dev/shoal
IMAGES := dist/images
PAUSE_TAG := 3.10.2
LDFLAGS := -X $(PKG)/internal/version.Version=$(VERSION) \
	-X k8s.io/component-base/version.gitVersion=$(K8S_VERSION)+shoal \
	-X k8s.io/component-base/version.gitMajor=1 \
	-X k8s.io/component-base/version.gitMinor=$(K8S_MINOR) \
	-X k8s.io/component-base/version.gitTreeState=clean \
	-X k8s.io/client-go/pkg/version.gitVersion=$(K8S_VERSION)+shoal \
	-X k8s.io/client-go/pkg/version.gitMajor=1 \
	-X k8s.io/client-go/pkg/version.gitMinor=$(K8S_MINOR) \
	-X github.com/containerd/containerd/v2/version.Version=$(CONTAINERD_VERSION)

.PHONY: test-outage lint scale bench-addons conformance conformance-serial conformance-deps test-os release all build build-next deps test-deps run test unit integration bench clean images runtime
all: build

build: bin/shoal bin/shoal-agent
bin/shoal: runtime FORCE
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o bin/shoal ./cmd/shoal
# The agent's own binary: the same source without the control plane and its
# commands (build tag agentonly; ADR 0013), for devices that only join.
bin/shoal-agent: runtime FORCE
	$(GO) build -tags $(TAGS),agentonly -ldflags "$(LDFLAGS)" -o bin/shoal-agent ./cmd/shoal
FORCE:

# The same source with the next version string: what the upgrade test
# upgrades to (a relink, ~1 min).
build-next: bin/shoal-next
bin/shoal-next: runtime FORCE
	$(GO) build -tags $(TAGS) -ldflags "$(subst Version=$(VERSION),Version=$(VERSION)-next,$(LDFLAGS))" -o bin/shoal-next ./cmd/shoal

# The node's own executables, built from their upstream modules (pinned in
# tools/runtime/go.mod) and embedded zstd-compressed into bin/shoal: containerd
# (ADR 0013), runc (static, with seccomp), containerd-shim-runc-v2, and the
# CNI reference plugins.
RUNTIME_DIR := internal/runtimebin/assets
RUNTIME_BINS := containerd runc containerd-shim-runc-v2 bridge host-local loopback portmap
RUNTIME_ZST := $(RUNTIME_BINS:%=$(RUNTIME_DIR)/%.zst)
runtime: $(RUNTIME_DIR)/SHA256SUMS $(RUNTIME_DIR)/pause.tar
# What identifies the set: a node unpacks it again only when this changes.
$(RUNTIME_DIR)/SHA256SUMS: $(RUNTIME_ZST)
	cd $(RUNTIME_DIR) && sha256sum $(RUNTIME_BINS:%=%.zst) > SHA256SUMS
$(RUNTIME_DIR)/pause.tar: $(IMAGES)/pause.tar
	cp $< $@
$(RUNTIME_DIR)/runc.zst: tools/runtime/go.mod | deps
	cd tools/runtime && CGO_ENABLED=1 $(GO) build -trimpath -tags "seccomp urfave_cli_no_docs netgo osusergo" \
	  -ldflags "-s -w -X main.version=$$($(GO) list -m -f '{{.Version}}' github.com/opencontainers/runc | tr -d v) -extldflags -static" \
	  -o $(CURDIR)/dist/runtime/runc github.com/opencontainers/runc
	zstd -19 -q -f -o $@ dist/runtime/runc
# containerd is upstream's cmd/containerd with its built-in plugins (CRI
# included), less the snapshotters this build of shoal never had.
$(RUNTIME_DIR)/containerd.zst: tools/runtime/go.mod | deps
	cd tools/runtime && CGO_ENABLED=0 $(GO) build -trimpath -tags "no_btrfs no_devmapper no_zfs no_tracing" -ldflags "-s -w \
	  -X github.com/containerd/containerd/v2/version.Version=$$($(GO) list -m -f '{{.Version}}' github.com/containerd/containerd/v2)" \
	  -o $(CURDIR)/dist/runtime/containerd github.com/containerd/containerd/v2/cmd/containerd
	zstd -19 -q -f -o $@ dist/runtime/containerd
# The shim is upstream's runc shim behind shoal's grouping wrapper
# (tools/runtime/shim: pods share SHOAL_SHIM_GROUPS shims on a small box).
$(RUNTIME_DIR)/containerd-shim-runc-v2.zst: tools/runtime/go.mod $(wildcard tools/runtime/shim/*.go) | deps
	cd tools/runtime && CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(CURDIR)/dist/runtime/containerd-shim-runc-v2 ./shim
	zstd -19 -q -f -o $@ dist/runtime/containerd-shim-runc-v2
$(RUNTIME_DIR)/%.zst: tools/runtime/go.mod | deps
	cd tools/runtime && CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(CURDIR)/dist/runtime/$* \
	  $$(grep -E '^\s+\S+/$*$$' go.mod | tr -d '[:space:]')
	zstd -19 -q -f -o $@ dist/runtime/$*

# Debian packages shoal needs to build and run (cgo for SQLite, libseccomp
# for runc, iptables for kube-proxy and flannel, zstd for the carried
# runtime executables).
deps:
	@command -v gcc >/dev/null && command -v curl >/dev/null && command -v iptables >/dev/null && command -v zstd >/dev/null && \
	  test -e /usr/lib/x86_64-linux-gnu/libseccomp.a -o -e /usr/lib/$$(uname -m)-linux-gnu/libseccomp.a || \
	  (apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev make curl libseccomp-dev pkg-config iptables zstd)

# What only the tests need: PostgreSQL for the external-datastore test.
test-deps: deps
	@test -x /usr/lib/postgresql/15/bin/postgres || (apt-get update && apt-get install -y --no-install-recommends postgresql)
	@command -v qemu-system-x86_64 >/dev/null && command -v grub-mkimage >/dev/null && command -v depmod >/dev/null && \
	  test -x /bin/busybox && command -v cpio >/dev/null || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(QEMU_PKGS))
	@command -v systemd-analyze >/dev/null || (apt-get update && apt-get install -y --no-install-recommends systemd)

# The README's first command: install what is missing, build, run a server.
DATA_DIR ?= /var/lib/shoal
run: deps build images
	mkdir -p $(DATA_DIR)/agent/images && cp -u $(IMAGES)/*.tar $(DATA_DIR)/agent/images/
	bin/shoal server -d $(DATA_DIR) $(ARGS)

# The README's second command, and what CI runs.
test: deps test-deps lint build build-next images unit integration

# gofmt, go vet and a shadowed-variable check (tools/lint/lint.sh).
lint:
	TAGS=$(TAGS) tools/lint/lint.sh

unit:
	$(GO) test -tags $(TAGS) -count=1 ./internal/... ./images/... ./bench/upstream/... ./tools/pack/... ./tools/conformance-report/...
	cd tools/runtime && $(GO) test -count=1 ./shim/...

integration:
	SHOAL_BIN=$(CURDIR)/bin/shoal SHOAL_AGENT_BIN=$(CURDIR)/bin/shoal-agent SHOAL_NEXT_BIN=$(CURDIR)/bin/shoal-next $(GO) test -tags $(TAGS),qemu -count=1 -timeout 45m -v ./test/integration/...

# An agent's link cut for 10 minutes (twice upstream's 300 s eviction), in
# TestMultiNode with --pod-eviction-timeout=0: no pod evicted or restarted,
# the node Ready within 10 s of the link's return; ≈ 11 min. `make
# integration` runs the same with a 2-minute cut.
test-outage: test-deps build images
	SHOAL_OUTAGE=10m SHOAL_BIN=$(CURDIR)/bin/shoal SHOAL_AGENT_BIN=$(CURDIR)/bin/shoal-agent $(GO) test -tags $(TAGS),qemu -count=1 -timeout 40m -v -run 'TestMultiNode$$' ./test/integration/

# OS images end to end in qemu (software emulation, no KVM): a GRUB disk
# with two slots, Debian's kernel, busybox; ≈ 1.5 min, also in `make test`.
QEMU_PKGS := qemu-system-x86 grub-pc-bin grub2-common busybox-static kmod cpio e2fsprogs fdisk
test-os: test-deps build
	SHOAL_BIN=$(CURDIR)/bin/shoal $(GO) test -tags $(TAGS),qemu -count=1 -timeout 30m -v -run TestOSImageQemu ./test/integration/

# Air-gapped images, built from source with no registry and no engine:
# the upstream pause (C, from the k8s.io/kubernetes module, static) and the
# shoal-echo test app at v1 and v2 (Go, static).
images: $(IMAGES)/pause.tar $(IMAGES)/coredns.tar $(IMAGES)/traefik.tar
	for v in v1 v2; do \
	  CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$$v" -o dist/bin/shoal-echo-$$v ./images/echo && \
	  $(GO) run ./tools/mkimage -ref localhost/shoal-echo:$$v -bin dist/bin/shoal-echo-$$v -path /shoal-echo \
	    -env PORT=8080 -ports 8080/tcp -o $(IMAGES)/shoal-echo-$$v.tar || exit 1; \
	done

$(IMAGES)/pause.tar: | deps
	mkdir -p $(IMAGES) dist/bin
	$(GO) mod download k8s.io/kubernetes
	gcc -Os -static -DVERSION=$(PAUSE_TAG) -o dist/bin/pause $$($(GO) list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
	strip dist/bin/pause
	$(GO) run ./tools/mkimage -ref registry.k8s.io/pause:$(PAUSE_TAG) -bin dist/bin/pause -path /pause -o $@

# CoreDNS with only the plugins cluster DNS uses, from its own pinned module.
COREDNS_VERSION := 1.15.0
$(IMAGES)/coredns.tar: tools/coredns/go.mod tools/coredns/main.go | deps
	mkdir -p $(IMAGES) dist/bin
	cd tools/coredns && CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(CURDIR)/dist/bin/coredns .
	$(GO) run ./tools/mkimage -ref registry.k8s.io/coredns/coredns:v$(COREDNS_VERSION) -bin dist/bin/coredns -path /coredns \
	  -ports 53/udp,53/tcp,9153/tcp -o $@

# The ingress controller. Its module is large (≈20 min cold on 2 cores, 3.3 GB
# peak): -p 1 keeps a cold build inside a small machine's memory.
TRAEFIK_VERSION := 3.6.12
$(IMAGES)/traefik.tar: tools/traefik/go.mod | deps
	mkdir -p $(IMAGES) dist/bin
	cd tools/traefik && CGO_ENABLED=0 $(GO) build -p 1 -trimpath \
	  -ldflags "-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=v$(TRAEFIK_VERSION)" \
	  -o $(CURDIR)/dist/bin/traefik github.com/traefik/traefik/v3/cmd/traefik
	$(GO) run ./tools/mkimage -ref docker.io/library/traefik:v$(TRAEFIK_VERSION) \
	  -bin dist/bin/traefik -path /traefik -ports 8000/tcp,8443/tcp,9000/tcp -o $@

# The release binary: shoal linked without symbol tables and DWARF, then
# packed behind cmd/shoal-unpack (zstd; unpacked once into
# <data-dir>/bin/<sha>/ and executed from there). Prints the sizes; the goal
# is under 80 MiB. (-trimpath would change every package's build ID: a
# cold 20-minute compile, so it is left out.)
release: runtime
	mkdir -p dist/release
	$(GO) build -tags $(TAGS) -ldflags "-s -w $(LDFLAGS)" -o dist/release/shoal.unpacked ./cmd/shoal
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o dist/release/shoal-unpack ./cmd/shoal-unpack
	$(GO) run ./tools/pack -front dist/release/shoal-unpack -in dist/release/shoal.unpacked -out dist/release/shoal
	$(GO) build -tags $(TAGS),agentonly -ldflags "-s -w $(LDFLAGS)" -o dist/release/shoal-agent.unpacked ./cmd/shoal
	$(GO) run ./tools/pack -front dist/release/shoal-unpack -in dist/release/shoal-agent.unpacked -out dist/release/shoal-agent
	@for f in bin/shoal dist/release/shoal.unpacked dist/release/shoal dist/release/shoal-agent; do \
	  test -e $$f && awk -v f=$$f -v s=$$(stat -c %s $$f) 'BEGIN { printf "%-30s %6.1f MiB\n", f, s / 1048576 }'; done

# The upstream conformance suite against a fresh two-node shoal cluster,
# air-gapped: e2e.test and ginkgo built from the module proxy at shoal's
# Kubernetes version (tools/e2e), every image the tests run built from
# source (tools/e2e/images.sh), the report written to docs/conformance/.
# Long (an hour or more on 2 cores): not part of `make test`.
E2E := dist/e2e
E2E_LDFLAGS := -s -w -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(K8S_MINOR)
conformance: conformance-deps
	test/conformance/run.sh parallel
conformance-serial: conformance-deps
	test/conformance/run.sh serial
conformance-deps: deps build images $(E2E)/e2e.test $(E2E)/ginkgo $(E2E)/images/agnhost.tar
$(E2E)/e2e.test: tools/e2e/go.mod
	cd tools/e2e && $(GO) test -c -vet=off -ldflags "$(E2E_LDFLAGS)" -o $(CURDIR)/$@ k8s.io/kubernetes/test/e2e
$(E2E)/ginkgo: tools/e2e/go.mod
	cd tools/e2e && $(GO) build -trimpath -ldflags "-s -w" -o $(CURDIR)/$@ github.com/onsi/ginkgo/v2/ginkgo
$(E2E)/images/agnhost.tar: tools/e2e/go.mod tools/e2e/images.sh $(IMAGES)/coredns.tar
	tools/e2e/images.sh $(E2E)/images

# Every benchmark, then one table: each figure with its method, and the
# published K3s figure with the ratio where one exists (bench/k3s.tsv).
# bench-addons: the idle tree with each addon disabled in turn.
# Scale: kubemark hollow nodes (upstream cmd/kubemark at shoal's Kubernetes
# version) against `shoal server --disable-agent`; SCALE="NODES PODS_PER_NODE".
SCALE ?= 50 30
scale: build $(E2E)/kubemark
	bench/scale.sh $(SCALE)
$(E2E)/kubemark: tools/e2e/go.mod
	cd tools/e2e && $(GO) build -trimpath -ldflags "$(E2E_LDFLAGS)" -o $(CURDIR)/$@ k8s.io/kubernetes/cmd/kubemark

bench: test-deps build images release
	bench/all.sh
bench-addons: build images
	bench/addons.sh

clean:
	rm -rf bin dist
