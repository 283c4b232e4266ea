package controlplane

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	logsapi "k8s.io/component-base/logs/api/v1"
	kcmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	kcmoptions "k8s.io/kubernetes/cmd/kube-controller-manager/app/options"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/tlsprofile"
	"github.com/shoal-dev/shoal/internal/upstreamargs"
)

// ControllerManager is kube-controller-manager in-process.
type ControllerManager struct {
	upstream
	admin *rest.Config
}

var _ lifecycle.Component = (*ControllerManager)(nil)

// NewControllerManager builds the controller manager's argv.
// admin is the identity used to observe readiness.
func NewControllerManager(cfg *config.Server, c *certs.Server, admin *rest.Config) *ControllerManager {
	kubeconfig := cfg.Paths.Cred("controller")
	args := upstreamargs.Args{
		"kubeconfig":                       kubeconfig,
		"authentication-kubeconfig":        kubeconfig,
		"authorization-kubeconfig":         kubeconfig,
		"bind-address":                     "127.0.0.1",
		"secure-port":                      "10257",
		"tls-min-version":                  tlsprofile.MinVersionName,
		"tls-cipher-suites":                tlsprofile.Flag(),
		"profiling":                        "false",
		"allocate-node-cidrs":              "true",
		"cluster-cidr":                     cfg.ClusterCIDR,
		"service-cluster-ip-range":         cfg.ServiceCIDR,
		"configure-cloud-routes":           "false",
		"controllers":                      controllers(cfg),
		"use-service-account-credentials":  "true",
		"root-ca-file":                     c.ServerCA.Cert,
		"service-account-private-key-file": c.ServiceAccountKey,
		"terminated-pod-gc-threshold":      "1000",
		// At start each controller fetches its own service-account
		// credentials; the default client limit (20 qps) made that take
		// 6 s here, 100/200 takes 0.8 s (measured with bench/server-idle.sh).
		"kube-api-qps":   "100",
		"kube-api-burst": "200",
		// One SQLite-backed server cannot have a rival: no leader election,
		// which also spares the datastore a lease write every two seconds.
		// Servers sharing an external datastore elect a leader.
		"leader-elect": leaderElect(cfg),

		"cluster-signing-kube-apiserver-client-cert-file": c.ClientCASigning,
		"cluster-signing-kube-apiserver-client-key-file":  c.ClientCA.Key,
		"cluster-signing-kubelet-client-cert-file":        c.ClientCASigning,
		"cluster-signing-kubelet-client-key-file":         c.ClientCA.Key,
		"cluster-signing-kubelet-serving-cert-file":       c.KubeletServingCASigning,
		"cluster-signing-kubelet-serving-key-file":        c.KubeletServingCA.Key,
		"cluster-signing-legacy-unknown-cert-file":        c.ServerCASigning,
		"cluster-signing-legacy-unknown-key-file":         c.ServerCA.Key,
	}
	if leaderElect(cfg) == "true" {
		args["feature-gates"] = leaderElectGates
		maps.Copy(args, leaderElectTimings)
	}
	return &ControllerManager{
		upstream: upstream{name: "kube-controller-manager", argv: args.Verbose(cfg.Verbosity).Merge(cfg.ExtraControllerManagerArgs)},
		admin:    admin,
	}
}

// Start runs the controller manager.
func (m *ControllerManager) Start(ctx context.Context) error {
	return m.launch(ctx, controllerManagerCommand())
}

// controllerManagerCommand mirrors upstream NewControllerManagerCommand,
// with the caller's context instead of context.Background().
func controllerManagerCommand() *cobra.Command {
	s, err := kcmoptions.NewKubeControllerManagerOptions()
	if err != nil {
		return &cobra.Command{RunE: func(*cobra.Command, []string) error { return err }}
	}
	known, disabled, aliases := kcmapp.KnownControllers(), kcmapp.ControllersDisabledByDefault(), kcmapp.ControllerAliases()
	fss := s.Flags(known, disabled, aliases)
	s.ParsedFlags = &fss
	pre := func(*cobra.Command) error {
		rest.SetDefaultWarningHandler(rest.NoWarnings{})
		return s.ComponentGlobalsRegistry.Set()
	}
	run := func(cmd *cobra.Command) error {
		if err := logsapi.ValidateAndApply(s.Logs, utilfeature.DefaultFeatureGate); err != nil {
			return err
		}
		c, err := s.Config(cmd.Context(), known, disabled, aliases)
		if err != nil {
			return err
		}
		return kcmapp.Run(cmd.Context(), c.Complete())
	}
	return newCommand("kube-controller-manager", fss, pre, run)
}

// Ready waits for the service account controller to have created the
// "default" ServiceAccount in "default": until then no pod can be created
// there, so that is when the controllers are usefully running.
func (m *ControllerManager) Ready(ctx context.Context) error {
	if m.admin == nil {
		return errors.New("no readiness client")
	}
	client, err := kubernetes.NewForConfig(m.admin)
	if err != nil {
		return err
	}
	return wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		select {
		case <-m.Done():
			return false, fmt.Errorf("exited: %w", m.Err())
		default:
		}
		_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, nil
	})
}

// leaderElectGates keeps kube-controller-manager from exiting the whole
// process when its leader election stops at shutdown.
const leaderElectGates = "ControllerManagerReleaseLeaderElectionLockOnExit=true"

// leaderElect is "true" only when servers may share the datastore.
// leaderElectTimings: the leader renews its Lease every 5 s instead of
// upstream's 2 s, and a rival takes over 30 s after the leader's last
// renewal instead of 15 s. Two Leases renewed every 2 s were 3,600 of the
// 4,680 datastore writes an hour of an idle embedded-etcd server with its
// node (issue 23, flash wear; bench/writes.sh). Renewal still has four
// tries before its deadline, and a server that stops cleanly hands the
// controller manager's Lease over at once.
var leaderElectTimings = upstreamargs.Args{
	"leader-elect-lease-duration": "30s",
	"leader-elect-renew-deadline": "20s",
	"leader-elect-retry-period":   "5s",
}

func leaderElect(cfg *config.Server) string {
	if cfg.Datastore != config.DatastoreSQLite {
		return "true"
	}
	return "false"
}

// controllers is upstream's set plus the bootstrap token cleaner; with
// --pod-eviction-timeout 0 no controller evicts pods from a node whose
// link is down (the node is still tainted, and nothing new lands on it).
func controllers(cfg *config.Server) string {
	if cfg.PodEvictionTimeout == 0 {
		return "*,tokencleaner,-taint-eviction-controller"
	}
	return "*,tokencleaner"
}

// tolerationSeconds is --pod-eviction-timeout as pods' tolerationSeconds
// (with 0, upstream's 300: nothing acts on it).
func tolerationSeconds(cfg *config.Server) string {
	if cfg.PodEvictionTimeout == 0 {
		return "300"
	}
	return strconv.Itoa(int(cfg.PodEvictionTimeout / time.Second))
}
