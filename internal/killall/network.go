package killall

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"

	"github.com/vishvananda/netlink"
)

// Links are the interfaces a node creates: the CNI bridge and flannel's
// VXLAN devices (IPv4 and IPv6).
var Links = []string{"cni0", "flannel.1", "flannel-v6.1"}

// deleteLinks deletes those of Links that exist and names them.
func deleteLinks() ([]string, error) {
	var gone []string
	var errs []error
	for _, name := range Links {
		l, err := netlink.LinkByName(name)
		if err != nil {
			continue // not there
		}
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, err)
			continue
		}
		gone = append(gone, name)
	}
	return gone, errors.Join(errs...)
}

// ours tells whether an iptables-save line belongs to shoal's parts:
// kube-proxy's KUBE- chains, the CNI plugins' CNI- chains, flannel's
// FLANNEL- chains, and the rules that jump to them.
func ours(line string) bool {
	return strings.Contains(line, "KUBE-") || strings.Contains(line, "CNI-") ||
		strings.Contains(strings.ToUpper(line), "FLANNEL") || strings.Contains(line, "SHOAL")
}

// filterRules removes our lines from an iptables-save dump; changed says
// whether any was.
func filterRules(dump []byte) (kept []byte, changed bool) {
	var b bytes.Buffer
	for _, line := range strings.SplitAfter(string(dump), "\n") {
		if ours(line) {
			changed = true
			continue
		}
		b.WriteString(line)
	}
	return b.Bytes(), changed
}

// flushRules rewrites each table without our chains and rules, for
// iptables and ip6tables (whichever backend the host's commands use),
// and returns the commands it restored with.
func flushRules() ([]string, error) {
	var done []string
	var errs []error
	for _, family := range []string{"iptables", "ip6tables"} {
		save, err := exec.LookPath(family + "-save")
		if err != nil {
			continue
		}
		dump, err := exec.Command(save).Output()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		kept, changed := filterRules(dump)
		if !changed {
			continue
		}
		restore := exec.Command(family + "-restore")
		restore.Stdin = bytes.NewReader(kept)
		if out, err := restore.CombinedOutput(); err != nil {
			errs = append(errs, errors.New(family+"-restore: "+strings.TrimSpace(string(out))))
			continue
		}
		done = append(done, family)
	}
	return done, errors.Join(errs...)
}
