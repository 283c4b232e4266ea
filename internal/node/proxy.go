package node

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/wait"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/klog/v2"
	proxyapp "k8s.io/kubernetes/cmd/kube-proxy/app"

	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/upstreamargs"
)

// ProxyHealthz is where kube-proxy answers once its rules are in sync.
const ProxyHealthz = "127.0.0.1:10256"

// KubeProxy is the upstream kube-proxy in-process, in iptables mode (see
// docs/adr/0002-kube-proxy-iptables.md).
type KubeProxy struct {
	lifecycle.Task
	argv []string
}

var _ lifecycle.Component = (*KubeProxy)(nil)

// NewKubeProxy builds kube-proxy's argv; user --kube-proxy-arg values win.
func NewKubeProxy(cfg *Config) *KubeProxy {
	args := upstreamargs.Args{
		"kubeconfig":           filepath.Join(cfg.AgentPaths.Etc, "kube-proxy.kubeconfig"),
		"hostname-override":    cfg.NodeName,
		"cluster-cidr":         cfg.ClusterCIDR,
		"proxy-mode":           "iptables",
		"healthz-bind-address": ProxyHealthz,
		"metrics-bind-address": "127.0.0.1:10249",
		// NodePorts on the node's primary IP only: no route_localnet
		// sysctl, and no NodePort on 127.0.0.1.
		"nodeport-addresses": "primary",
		// Leave the host's nf_conntrack_max alone.
		"conntrack-max-per-core": "0",
	}
	return &KubeProxy{argv: args.Verbose(cfg.Verbosity).Merge(cfg.ExtraKubeProxyArgs)}
}

// Name implements lifecycle.Component.
func (p *KubeProxy) Name() string { return "kube-proxy" }

// Argv is the final argument list.
func (p *KubeProxy) Argv() []string { return p.argv }

// Start parses the argv with kube-proxy's own options and runs it on ctx
// (the upstream command runs it on context.Background()).
func (p *KubeProxy) Start(ctx context.Context) error {
	opts := proxyapp.NewOptions()
	fs := pflag.NewFlagSet("kube-proxy", pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	opts.AddFlags(fs)
	if err := fs.Parse(p.argv); err != nil {
		return fmt.Errorf("kube-proxy: %w", err)
	}
	if err := opts.Complete(fs); err != nil {
		return fmt.Errorf("kube-proxy: %w", err)
	}
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("kube-proxy configuration: %w", err)
	}
	return p.Go(ctx, opts.Run)
}

// Ready waits for kube-proxy's healthz, which answers 200 once the first
// sync of the rules is done.
func (p *KubeProxy) Ready(ctx context.Context) error {
	c := &http.Client{Timeout: time.Second}
	return wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := p.Err(); err != nil {
			return false, err
		}
		resp, err := c.Get("http://" + ProxyHealthz + "/healthz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

// Stop cancels kube-proxy; its rules stay so Services keep working while
// shoal restarts. kube-proxy's run loop does not return on cancel (it only
// returns errors), so Stop waits only a moment.
func (p *KubeProxy) Stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := p.Halt(ctx); err != nil {
		klog.V(2).InfoS("kube-proxy still winding down", "err", err)
	}
	return nil
}
