package checkconfig

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/vishvananda/netlink"
)

// Level says how much a missing feature matters.
type Level string

// Levels.
const (
	Required Level = "required" // the node cannot run without it
	Optional Level = "optional" // one option needs it
	Advised  Level = "advised"  // shoal runs without it; a small device needs it
)

// Result is one probe's outcome.
type Result struct {
	Name   string
	Level  Level
	OK     bool
	Detail string // what was found, or what is unavailable without it
}

// Run probes everything; cgroupMode is what the node detected.
func Run(cgroupMode string) []Result {
	out := []Result{
		fileContains("overlay filesystem", Required, "/proc/filesystems", "overlay", "containerd's overlayfs snapshotter"),
		exists("bridge netfilter", Required, "/proc/sys/net/bridge", "kube-proxy rules for pod-to-Service traffic on the bridge"),
		exists("conntrack", Required, "/proc/sys/net/netfilter/nf_conntrack_max", "kube-proxy"),
		binary("iptables", Required, "kube-proxy (iptables mode) and flannel"),
		link("veth links", Required, &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "shoalprobe0"}, PeerName: "shoalprobe1"}, "pod network"),
		link("bridge links", Required, &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "shoalprobe0"}}, "pod network (CNI bridge)"),
		link("vxlan links", Optional, &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: "shoalprobe0"}, VxlanId: 4242, Port: 4789}, "--flannel-backend vxlan (the default)"),
		link("WireGuard links", Optional, &netlink.Wireguard{LinkAttrs: netlink.LinkAttrs{Name: "shoalprobe0"}}, "--flannel-backend wireguard-native"),
		exists("IPVS", Optional, "/proc/net/ip_vs", "kube-proxy ipvs mode (shoal uses iptables)"),
	}
	out = append(out, Result{Name: "cgroups", Level: Required, OK: true, Detail: cgroupMode + " (cgroupfs driver)"})
	if exe, err := os.Executable(); err == nil {
		out = append(out, readahead("/sys", exe))
	}
	return out
}

func exists(name string, l Level, path, need string) Result {
	_, err := os.Stat(path)
	return result(name, l, err == nil, path, need)
}

func fileContains(name string, l Level, path, word, need string) Result {
	b, err := os.ReadFile(path)
	return result(name, l, err == nil && strings.Contains(string(b), word), path, need)
}

func binary(name string, l Level, need string) Result {
	p, err := exec.LookPath(name)
	return result(name, l, err == nil, p, need)
}

// link creates and deletes a probe link of the kind, in this namespace.
func link(name string, l Level, ln netlink.Link, need string) Result {
	err := netlink.LinkAdd(ln)
	if err == nil {
		_ = netlink.LinkDel(ln)
		return result(name, l, true, "kernel creates them", need)
	}
	return Result{Name: name, Level: l, OK: false, Detail: fmt.Sprintf("%v — needed by %s", err, need)}
}

func result(name string, l Level, ok bool, found, need string) Result {
	if ok {
		return Result{Name: name, Level: l, OK: true, Detail: found}
	}
	return Result{Name: name, Level: l, OK: false, Detail: "missing — needed by " + need}
}
