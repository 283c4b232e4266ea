package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/flannel-io/flannel/pkg/backend"
	_ "github.com/flannel-io/flannel/pkg/backend/hostgw" // registers "host-gw"
	_ "github.com/flannel-io/flannel/pkg/backend/vxlan"  // registers "vxlan"
	"github.com/flannel-io/flannel/pkg/ip"
	"github.com/flannel-io/flannel/pkg/subnet"
	"github.com/flannel-io/flannel/pkg/subnet/kube"
	"github.com/flannel-io/flannel/pkg/trafficmngr/iptables"
	"k8s.io/klog/v2"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Flannel is the pod network: flannel's kube subnet manager and backend
// in-process, leasing this node's podCIDR, plus the CNI conflist that
// hands pods addresses from it.
type Flannel struct {
	lifecycle.Task
	cfg        *Config
	kubeconfig string
	cniConf    string // containerd's CNI conf dir
	ready      chan struct{}
}

var _ lifecycle.Component = (*Flannel)(nil)

// NewFlannel prepares the network; kubeconfig is an identity allowed to
// watch nodes and patch its own node (the kubelet's).
func NewFlannel(cfg *Config, kubeconfig, cniConfDir string) *Flannel {
	return &Flannel{cfg: cfg, kubeconfig: kubeconfig, cniConf: cniConfDir, ready: make(chan struct{})}
}

// Name implements lifecycle.Component.
func (f *Flannel) Name() string { return "flannel" }

// Start runs flannel in the background.
func (f *Flannel) Start(ctx context.Context) error {
	return f.Go(ctx, f.run)
}

// Ready waits until the CNI conflist is written (pods can get addresses).
func (f *Flannel) Ready(ctx context.Context) error { return f.WaitFor(ctx, f.ready) }

// Stop implements lifecycle.Component; the vxlan device and routes stay,
// so running pods keep their network across a restart.
func (f *Flannel) Stop(ctx context.Context) error { return f.Halt(ctx) }

func (f *Flannel) run(ctx context.Context) error {
	c := f.cfg
	etc := filepath.Join(c.AgentPaths.Etc, "flannel")
	netConf := filepath.Join(etc, "net-conf.json")
	if err := writeNetConf(netConf, c.ClusterCIDR, c.FlannelBackend); err != nil {
		return err
	}
	ext, err := externalInterface(c.NodeIP)
	if err != nil {
		return err
	}
	sm, err := kube.NewSubnetManager(ctx, "", f.kubeconfig, "flannel.alpha.coreos.com", netConf, false)
	if err != nil {
		return fmt.Errorf("flannel: %w", err)
	}
	conf, err := sm.GetNetworkConfig(ctx)
	if err != nil {
		return fmt.Errorf("flannel: %w", err)
	}
	be, err := backend.NewManager(ctx, sm, ext).GetBackend(conf.BackendType)
	if err != nil {
		return fmt.Errorf("flannel: %w", err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	bn, err := registerNetwork(ctx, be, &wg, conf)
	if err != nil {
		return err
	}
	tm := &iptables.IPTablesManager{}
	if err := tm.Init(ctx); err != nil {
		return fmt.Errorf("flannel iptables: %w", err)
	}
	none6 := ip.IP6Net{}
	if err := tm.SetupAndEnsureMasqRules(ctx, conf.Network, ip.IP4Net{}, ip.IP4Net{}, none6, none6, none6, bn.Lease(), 60, false); err != nil {
		return fmt.Errorf("flannel masquerade rules: %w", err)
	}
	tm.SetupAndEnsureForwardRules(ctx, conf.Network, conf.IPv6Network, 50)
	lease := bn.Lease().Subnet.ToIPNet()
	if err := subnet.WriteSubnetFile(filepath.Join(c.AgentPaths.Dir, "run", "flannel", "subnet.env"), conf, true, bn.Lease().Subnet, none6, bn.MTU()); err != nil {
		return fmt.Errorf("flannel subnet file: %w", err)
	}
	cni, err := CNIConfig(lease, c.ClusterCIDR, bn.MTU(), filepath.Join(c.AgentPaths.Dir, "cni", "networks"))
	if err != nil {
		return err
	}
	if err := WriteCNIConfig(f.cniConf, cni); err != nil {
		return err
	}
	klog.InfoS("flannel network ready", "backend", conf.BackendType, "subnet", lease, "mtu", bn.MTU())
	close(f.ready)
	bn.Run(ctx)
	return nil
}

// registerNetwork retries until the controller manager has given the node
// its podCIDR (flannel itself fails once and gives up).
func registerNetwork(ctx context.Context, be backend.Backend, wg *sync.WaitGroup, conf *subnet.Config) (backend.Network, error) {
	for {
		bn, err := be.RegisterNetwork(ctx, wg, conf)
		if err == nil {
			return bn, nil
		}
		klog.V(2).InfoS("flannel waits for the node's pod CIDR", "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func writeNetConf(path, clusterCIDR, backendType string) error {
	b, err := json.Marshal(map[string]any{
		"Network":    clusterCIDR,
		"EnableIPv4": true,
		"Backend":    map[string]string{"Type": backendType},
	})
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644)
}

// externalInterface is the interface carrying the node IP: flannel sends
// its encapsulated traffic from it.
func externalInterface(nodeIP string) (*backend.ExternalInterface, error) {
	want := net.ParseIP(nodeIP)
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for i := range ifaces {
		addrs, _ := ifaces[i].Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(want) {
				return &backend.ExternalInterface{Iface: &ifaces[i], IfaceName: ifaces[i].Name, IfaceAddr: want.To4(), ExtAddr: want.To4()}, nil
			}
		}
	}
	return nil, fmt.Errorf("--node-ip %s: no interface on this host has that address", nodeIP)
}
