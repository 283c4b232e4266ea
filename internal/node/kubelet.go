package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/kubernetes"
	cliflag "k8s.io/component-base/cli/flag"
	kubeletapp "k8s.io/kubernetes/cmd/kubelet/app"
	kubeletoptions "k8s.io/kubernetes/cmd/kubelet/app/options"
	kubeletconfig "k8s.io/kubernetes/pkg/kubelet/apis/config"
	kubeletvalidation "k8s.io/kubernetes/pkg/kubelet/apis/config/validation"

	"github.com/shoal-dev/shoal/internal/box"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/tlsprofile"
	"github.com/shoal-dev/shoal/internal/upstreamargs"
)

// Kubelet is the upstream kubelet in-process.
type Kubelet struct {
	lifecycle.Task
	cfg     *Config
	runtime string // CRI endpoint
	cgroups CgroupMode
	argv    []string
	client  kubernetes.Interface
}

var _ lifecycle.Component = (*Kubelet)(nil)

// NewKubelet builds the kubelet's argv: the flags that have no config
// field, then the user's --kubelet-arg values (which may override any
// config field through its flag).
func NewKubelet(cfg *Config, criSocket string, client kubernetes.Interface) *Kubelet {
	args := upstreamargs.Args{
		"kubeconfig":        filepath.Join(cfg.AgentPaths.Etc, "kubelet.kubeconfig"),
		"root-dir":          cfg.AgentPaths.KubeletDir,
		"cert-dir":          filepath.Join(cfg.AgentPaths.KubeletDir, "pki"),
		"hostname-override": cfg.NodeName,
		"node-ip":           cfg.NodeIP,
	}
	if len(cfg.NodeLabels) > 0 {
		args["node-labels"] = strings.Join(cfg.NodeLabels, ",")
	}
	if len(cfg.NodeTaints) > 0 {
		args["register-with-taints"] = strings.Join(cfg.NodeTaints, ",")
	}
	return &Kubelet{
		cfg:     cfg,
		runtime: "unix://" + criSocket,
		cgroups: DetectCgroupMode(),
		argv:    args.Verbose(cfg.Verbosity).Merge(cfg.ExtraKubeletArgs),
		client:  client,
	}
}

// Name implements lifecycle.Component.
func (k *Kubelet) Name() string { return "kubelet" }

// Argv is the final argument list.
func (k *Kubelet) Argv() []string { return k.argv }

// configure sets shoal's choices on the kubelet's defaults; every one of
// them can still be overridden by a --kubelet-arg flag.
func (k *Kubelet) configure(kc *kubeletconfig.KubeletConfiguration) {
	c := k.cfg
	kc.ContainerRuntimeEndpoint = k.runtime
	kc.CgroupDriver = "cgroupfs"
	// kubelet 1.37 refuses cgroup v1 unless told; hybrid hosts are v1.
	kc.FailCgroupV1 = k.cgroups == CgroupV2
	kc.FailSwapOn = false
	// true makes kubelet fail unless vm.overcommit_memory, kernel.panic
	// and kernel.panic_on_oops already have its values (config checks
	// them first, with a clearer error); false lets it set them (the only
	// host sysctls kubelet touches).
	kc.ProtectKernelDefaults = c.ProtectKernelDefaults
	// -999 needs CAP_SYS_RESOURCE, which edge sandboxes often drop.
	kc.OOMScoreAdj = 0
	kc.Authentication.Anonymous.Enabled = false
	kc.Authentication.Webhook.Enabled = true
	kc.Authentication.X509.ClientCAFile = c.Certs.ClientCA
	kc.Authorization.Mode = kubeletconfig.KubeletAuthorizationModeWebhook
	kc.TLSCertFile = c.Certs.KubeletServing.Cert
	kc.TLSPrivateKeyFile = c.Certs.KubeletServing.Key
	kc.TLSMinVersion = tlsprofile.MinVersionName
	kc.TLSCipherSuites = tlsprofile.CipherSuiteNames()
	kc.ClusterDNS = []string{c.ClusterDNS}
	kc.ClusterDomain = c.ClusterDomain
	kc.ReadOnlyPort = 0
	kc.HealthzBindAddress = "127.0.0.1"
	kc.SerializeImagePulls = false
	kc.PodLogsDir = c.AgentPaths.PodLogs
	kc.StaticPodPath = filepath.Join(c.AgentPaths.Dir, "pod-manifests")
	// Half upstream's 10 s: after a flaky link returns, the node is Ready
	// again within seconds. Each check is a cached GET; a POST only when
	// the status changed (the lease carries the heartbeat).
	kc.NodeStatusUpdateFrequency = metav1.Duration{Duration: 5 * time.Second}
	fit(kc, c.Box.Kubelet(c.Role))
}

// fit applies what the box allows pods: the memory they may not take
// (so the kubepods cgroup is limited below the box, and the eviction
// manager evicts pods near that limit), the hard eviction threshold and
// the most pods; --kubelet-arg still wins.
func fit(kc *kubeletconfig.KubeletConfiguration, f box.KubeletSettings) {
	if len(f.SystemReserved) == 0 {
		return
	}
	kc.SystemReserved = f.SystemReserved
	if kc.EvictionHard == nil {
		kc.EvictionHard = map[string]string{}
	}
	for k, v := range f.EvictionHard {
		kc.EvictionHard[k] = v
	}
	kc.MaxPods = f.MaxPods
}

// Start parses the argv the way the kubelet command does and runs it on
// ctx (the upstream command would install a process signal handler).
func (k *Kubelet) Start(ctx context.Context) error {
	fs := pflag.NewFlagSet("kubelet", pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	flags := kubeletoptions.NewKubeletFlags()
	kc, err := kubeletoptions.NewKubeletConfiguration()
	if err != nil {
		return err
	}
	k.configure(kc)
	flags.AddFlags(fs)
	kubeletoptions.AddKubeletConfigFlags(fs, kc)
	if err := fs.Parse(k.argv); err != nil {
		return fmt.Errorf("kubelet: %w", err)
	}
	if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(kc.FeatureGates); err != nil {
		return fmt.Errorf("kubelet feature gates: %w", err)
	}
	if err := kubeletoptions.ValidateKubeletFlags(flags); err != nil {
		return fmt.Errorf("kubelet flags: %w", err)
	}
	if err := kubeletvalidation.ValidateKubeletConfiguration(kc, utilfeature.DefaultFeatureGate); err != nil {
		return fmt.Errorf("kubelet configuration: %w", err)
	}
	if err := os.MkdirAll(kc.StaticPodPath, 0o700); err != nil {
		return err
	}
	if err := EnsureCgroupRoot(k.cgroups, kc.CgroupRoot); err != nil {
		return fmt.Errorf("kubelet: %w", err)
	}
	server := &kubeletoptions.KubeletServer{KubeletFlags: *flags, KubeletConfiguration: *kc}
	return k.Go(ctx, func(ctx context.Context) error {
		deps, err := kubeletapp.UnsecuredDependencies(ctx, server, utilfeature.DefaultFeatureGate)
		if err != nil {
			return err
		}
		return kubeletapp.Run(ctx, server, deps, utilfeature.DefaultFeatureGate)
	})
}

// Ready waits until the kubelet has registered its Node.
func (k *Kubelet) Ready(ctx context.Context) error {
	return wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if err := k.Err(); err != nil {
			return false, err
		}
		_, err := k.client.CoreV1().Nodes().Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
		return err == nil, nil
	})
}

// Stop cancels the kubelet's context; running pods stay up.
func (k *Kubelet) Stop(ctx context.Context) error { return k.Halt(ctx) }

// WaitNodeReady waits for the Node's Ready condition.
func WaitNodeReady(ctx context.Context, client kubernetes.Interface, name string) error {
	return wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range n.Status.Conditions {
			if c.Type == v1.NodeReady {
				return c.Status == v1.ConditionTrue, nil
			}
		}
		return false, nil
	})
}

// ReportReady says when the node's Ready condition turns true; a node that
// is slow to get there is reported, not fatal.
func ReportReady(ctx context.Context, client kubernetes.Interface, name string, start time.Time, report func(string, ...any)) {
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := WaitNodeReady(wctx, client, name); err != nil {
		report("node %s is not Ready after %.0fs; see `shoal kubectl describe node %s`", name, time.Since(start).Seconds(), name)
		return
	}
	report("node %s Ready in %.2fs", name, time.Since(start).Seconds())
}
