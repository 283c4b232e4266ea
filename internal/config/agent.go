package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/shoal-dev/shoal/internal/box"
)

// Agent is the configuration of the node stack, shared by `shoal agent`
// and the local node of `shoal server`.
type Agent struct {
	NodeName           string
	NodeIP             string
	NodeLabels         []string
	NodeTaints         []string
	FlannelBackend     string
	OSBootDir          string // the boot file system with the OS slots (enables OS images)
	ExtraKubeletArgs   []string
	ExtraKubeProxyArgs []string
	// Profile is "" or ProfileCIS; ProtectKernelDefaults is implied by it.
	Profile               string
	ProtectKernelDefaults bool
	Logging

	// Derived by Complete.
	// NodeIPFollows: no address was given, NodeIP is the default-route
	// interface's, and the node follows it when it changes.
	NodeIPFollows bool
	AgentPaths    AgentPaths
	Box           box.Box // the memory and CPUs this machine (or its cgroup) gives shoal
}

// AgentPaths is where the node keeps its files, under <data-dir>/agent.
type AgentPaths struct {
	Dir        string // <data-dir>/agent
	Bin        string // runc, the shim, CNI plugins
	Images     string // air-gap tarballs imported at start
	TLS        string // node certificates
	Etc        string // generated configs and kubeconfigs
	KubeletDir string // kubelet's --root-dir
	PodLogs    string
	Upgrade    string // the previous binary and the upgrade in flight
}

// FlannelBackends are the backends shoal carries (no WireGuard: flannel's
// needs a kernel module the test hosts lack; no IPIP), plus "none" for a
// user-provided CNI.
var FlannelBackends = []string{"vxlan", "host-gw", "none"}

// AddFlags binds every agent flag to a, with K3s's spelling.
func (a *Agent) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&a.NodeName, "node-name", "", "Node name (default: the host name)")
	fs.StringVar(&a.NodeIP, "node-ip", "", "IPv4 address of the node (default: the IP of the default-route interface)")
	fs.StringArrayVar(&a.NodeLabels, "node-label", nil, "Label to register the node with, key=value (repeatable)")
	fs.StringArrayVar(&a.NodeTaints, "node-taint", nil, "Taint to register the node with, key=value:Effect (repeatable)")
	fs.StringVar(&a.FlannelBackend, "flannel-backend", "vxlan", "Pod network backend: "+strings.Join(FlannelBackends, ", "))
	fs.StringVar(&a.OSBootDir, "os-boot-dir", "", "Boot file system holding slots/a, slots/b and boot/grub/grubenv: enables OS images (OSImage)")
	fs.StringArrayVar(&a.ExtraKubeletArgs, "kubelet-arg", nil, "Extra kubelet flag as key=value (repeatable, wins over shoal's)")
	fs.StringArrayVar(&a.ExtraKubeProxyArgs, "kube-proxy-arg", nil, "Extra kube-proxy flag as key=value (repeatable)")
	fs.StringVar(&a.Profile, "profile", "", "Hardening profile: cis (secrets encryption on, --protect-kernel-defaults, audit logs kept longer; see docs/security.md)")
	fs.BoolVar(&a.ProtectKernelDefaults, "protect-kernel-defaults", false, "Kubelet refuses to start unless the kernel's sysctls already have its values, instead of setting them")
	a.Logging.AddFlags(fs)
}

// Complete validates a and derives its paths from dataDir.
func (a *Agent) Complete(dataDir string) error {
	if err := a.Logging.Validate(); err != nil {
		return err
	}
	if a.NodeName == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("--node-name: not given and the host name is unknown: %w", err)
		}
		a.NodeName = strings.ToLower(h)
	}
	if errs := validation.IsDNS1123Subdomain(a.NodeName); len(errs) > 0 {
		return fmt.Errorf("--node-name %q: %s", a.NodeName, errs[0])
	}
	if a.NodeIP == "" {
		a.NodeIPFollows = true
		ip, err := DefaultRouteIP()
		if err != nil {
			return fmt.Errorf("--node-ip: not given and %w", err)
		}
		a.NodeIP = ip.String()
	}
	if ip := net.ParseIP(a.NodeIP); ip == nil || ip.To4() == nil || ip.IsLoopback() || ip.IsUnspecified() {
		return fmt.Errorf("--node-ip %q: must be a routable IPv4 address", a.NodeIP)
	}
	for _, l := range a.NodeLabels {
		if err := validateLabel(l); err != nil {
			return fmt.Errorf("--node-label %q: %w", l, err)
		}
	}
	for _, t := range a.NodeTaints {
		if err := validateTaint(t); err != nil {
			return fmt.Errorf("--node-taint %q: %w", t, err)
		}
	}
	if a.FlannelBackend == "wireguard-native" {
		return fmt.Errorf("--flannel-backend wireguard-native: not available: shoal carries no WireGuard backend yet and this kernel has none (`shoal check-config` shows it); use vxlan or host-gw")
	}
	if !slices.Contains(FlannelBackends, a.FlannelBackend) {
		return fmt.Errorf("--flannel-backend %q: must be one of %s", a.FlannelBackend, strings.Join(FlannelBackends, ", "))
	}
	if err := ValidateExtraArgs("kubelet-arg", a.ExtraKubeletArgs); err != nil {
		return err
	}
	if err := ValidateExtraArgs("kube-proxy-arg", a.ExtraKubeProxyArgs); err != nil {
		return err
	}
	if a.Profile != "" && a.Profile != ProfileCIS {
		return fmt.Errorf("--profile %q: want cis (or none)", a.Profile)
	}
	if a.Profile == ProfileCIS {
		a.ProtectKernelDefaults = true
	}
	if a.ProtectKernelDefaults {
		if err := checkKernelDefaults(os.ReadFile); err != nil {
			return err
		}
	}
	a.AgentPaths = NewAgentPaths(dataDir)
	return a.detectBox()
}

// detectBox reads the box once (the server does it before its agent).
func (a *Agent) detectBox() error {
	if a.Box.Memory != 0 {
		return nil
	}
	b, err := box.Detect("/")
	if err != nil {
		return fmt.Errorf("the machine's memory: %w", err)
	}
	a.Box = b
	return nil
}

// NewAgentPaths derives the node's paths from the data dir.
func NewAgentPaths(dataDir string) AgentPaths {
	dir := filepath.Join(dataDir, "agent")
	return AgentPaths{
		Dir:        dir,
		Bin:        filepath.Join(dir, "bin"),
		Images:     filepath.Join(dir, "images"),
		TLS:        filepath.Join(dir, "tls"),
		Etc:        filepath.Join(dir, "etc"),
		KubeletDir: filepath.Join(dir, "kubelet"),
		PodLogs:    filepath.Join(dir, "pod-logs"),
		Upgrade:    filepath.Join(dir, "upgrade"),
	}
}

// parseLabel splits a key=value label and checks both halves.
func parseLabel(l string) (key, value string, err error) {
	k, v, ok := strings.Cut(l, "=")
	if !ok {
		return "", "", fmt.Errorf("want key=value")
	}
	if errs := validation.IsQualifiedName(k); len(errs) > 0 {
		return "", "", fmt.Errorf("key: %s", errs[0])
	}
	if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
		return "", "", fmt.Errorf("value: %s", errs[0])
	}
	return k, v, nil
}

func validateLabel(l string) error {
	_, _, err := parseLabel(l)
	return err
}

// readTokenFile is the token in --token-file, surrounding space removed.
func readTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("--token-file %s: empty", path)
	}
	return tok, nil
}

func validateTaint(t string) error {
	kv, effect, ok := strings.Cut(t, ":")
	if !ok {
		return fmt.Errorf("want key=value:Effect")
	}
	if !slices.Contains([]string{"NoSchedule", "PreferNoSchedule", "NoExecute"}, effect) {
		return fmt.Errorf("effect %q: must be NoSchedule, PreferNoSchedule or NoExecute", effect)
	}
	k, v, _ := strings.Cut(kv, "=")
	if errs := validation.IsQualifiedName(k); len(errs) > 0 {
		return fmt.Errorf("key: %s", errs[0])
	}
	if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
		return fmt.Errorf("value: %s", errs[0])
	}
	return nil
}
