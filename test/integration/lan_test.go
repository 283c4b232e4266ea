package integration

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// lan is a bridge in the test's namespace standing for one L2 segment:
// hosts on it reach each other directly (flannel host-gw needs that too).
type lan struct {
	bridge string
	n      int // the segment is 10.<n>.0.0/24, the bridge 10.<n>.0.1
}

// newLAN creates bridge br-<name> and removes it (and its hosts' links)
// at cleanup.
func newLAN(t *testing.T, name string, n int) *lan {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("multi-node tests need root (network namespaces, mounts, cgroups)")
	}
	l := &lan{bridge: "br-" + name, n: n}
	run(t, "ip", "link", "del", l.bridge)
	mustRun(t, [][]string{
		{"ip", "link", "add", l.bridge, "type", "bridge"},
		{"ip", "addr", "add", fmt.Sprintf("10.%d.0.1/24", n), "dev", l.bridge},
		{"ip", "link", "set", l.bridge, "up"},
	})
	t.Cleanup(func() { run(t, "ip", "link", "del", l.bridge) })
	return l
}

// host adds netns name at 10.<n>.0.<i> on the segment.
func (l *lan) host(t *testing.T, name string, i int) *host {
	t.Helper()
	h := &host{name: name, ip: fmt.Sprintf("10.%d.0.%d", l.n, i), peerIP: fmt.Sprintf("10.%d.0.1", l.n)}
	veth := h.veth()
	run(t, "ip", "netns", "del", name)
	run(t, "ip", "link", "del", veth)
	mustRun(t, [][]string{
		{"ip", "netns", "add", name},
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name},
		{"ip", "link", "set", veth, "master", l.bridge},
		{"ip", "link", "set", veth, "up"},
		{"ip", "-n", name, "addr", "add", h.ip + "/24", "dev", "eth0"},
		{"ip", "-n", name, "link", "set", "eth0", "up"},
		{"ip", "-n", name, "link", "set", "lo", "up"},
		{"ip", "-n", name, "route", "add", "default", "via", h.peerIP},
	})
	t.Cleanup(func() {
		run(t, "ip", "netns", "del", name)
		run(t, "ip", "link", "del", veth)
	})
	return h
}

// veth is the host's link as the test's namespace sees it.
func (h *host) veth() string { return "vh-" + h.name }

// setLink cuts (false) or restores (true) the host's only link.
func (h *host) setLink(t *testing.T, up bool) {
	state := "down"
	if up {
		state = "up"
	}
	mustRun(t, [][]string{{"ip", "link", "set", h.veth(), state}})
}

// renumber moves the host to address ip on the same segment as a DHCP
// server handing out a new lease would: the old address goes (and with it
// the default route), then the new one comes with the route.
func (h *host) renumber(t *testing.T, ip string) {
	mustRun(t, [][]string{
		{"ip", "-n", h.name, "addr", "del", h.ip + "/24", "dev", "eth0"},
		{"ip", "-n", h.name, "addr", "add", ip + "/24", "dev", "eth0"},
		{"ip", "-n", h.name, "route", "add", "default", "via", h.peerIP},
	})
	h.ip = ip
}

// refuseInbound drops every connection the host did not open itself: a
// node behind NAT.
func (h *host) refuseInbound(t *testing.T) {
	mustRun(t, [][]string{
		{"nsenter", "--net=/var/run/netns/" + h.name, "iptables", "-I", "INPUT", "-i", "eth0", "-p", "tcp",
			"--syn", "-j", "DROP"},
	})
}

func mustRun(t *testing.T, steps [][]string) {
	t.Helper()
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
}

// shoal runs a shoal client command inside host h's namespace (token
// commands reach that server's apiserver on its loopback).
func (h *host) shoal(t *testing.T, args ...string) string {
	t.Helper()
	out, err := h.exec(append([]string{shoalBin(t)}, args...)...)
	if err != nil {
		t.Fatalf("shoal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// shoalInNetns runs a shoal client command in network namespace netns ("" for
// this one) and returns its combined output.
func shoalInNetns(t *testing.T, netns string, args ...string) (string, error) {
	t.Helper()
	argv := append([]string{shoalBin(t)}, args...)
	if netns != "" {
		argv = append([]string{"nsenter", "--net=/var/run/netns/" + netns}, argv...)
	}
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}
