package controlplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/klog/v2"

	"github.com/spf13/cobra"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	encryptioncontroller "k8s.io/apiserver/pkg/server/options/encryptionconfig/controller"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	basecompatibility "k8s.io/component-base/compatibility"
	logsapi "k8s.io/component-base/logs/api/v1"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	apiserveroptions "k8s.io/kubernetes/cmd/kube-apiserver/app/options"
	controlplaneapiserver "k8s.io/kubernetes/pkg/controlplane/apiserver"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/tlsprofile"
	"github.com/shoal-dev/shoal/internal/upstreamargs"
)

// authenticationConfig lets anonymous requests reach only the health
// endpoints; everything else needs a credential (401 otherwise).
const authenticationConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
  - path: /livez
  - path: /readyz
  - path: /healthz
`

// egressSelectorConfig sends kube-apiserver's "cluster" traffic through
// the supervisor's CONNECT proxy on a unix socket.
const egressSelectorConfig = `apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %s
`

// admissionConfig sets the Pod Security Standards every namespace gets
// unless it says otherwise with its pod-security.kubernetes.io labels:
// baseline enforced (no privileged, host namespaces or hostPath pods),
// restricted warned and audited. kube-system is exempt: the cluster's own
// addons live there.
const admissionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      enforce-version: latest
      audit: restricted
      audit-version: latest
      warn: restricted
      warn-version: latest
    exemptions:
      usernames: []
      runtimeClasses: []
      namespaces: [kube-system]
`

// auditPolicy records at metadata level every read of Secrets and every
// change by a person or a workload; the control plane's and nodes' own
// routine traffic (leases, status, events) is left out.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  userGroups: [system:nodes]
- level: None
  users: [system:kube-controller-manager, system:kube-scheduler, system:apiserver, system:kube-proxy]
- level: None
  resources: [{group: coordination.k8s.io, resources: [leases]}, {group: "", resources: [events]}, {group: events.k8s.io, resources: [events]}]
- level: None
  nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/openapi*", "/api*"]
- level: Metadata
  resources: [{group: "", resources: [secrets]}, {group: authentication.k8s.io, resources: [tokenreviews]}]
- level: None
  verbs: [get, list, watch]
- level: Metadata
`

// APIServer is kube-apiserver in-process.
type APIServer struct {
	upstream
	authConfigPath string
	admissionPath  string
	auditPath      string
	egressPath     string
	egressConfig   string
	admin          *rest.Config
}

var _ lifecycle.Component = (*APIServer)(nil)

// NewAPIServer builds the apiserver's argv from the config.
func NewAPIServer(cfg *config.Server, c *certs.Server, store datastore.Client, admin *rest.Config) *APIServer {
	authPath := filepath.Join(cfg.Paths.EtcDir, "authentication-config.yaml")
	egressPath := filepath.Join(cfg.Paths.EtcDir, "egress-selector.yaml")
	admissionPath := filepath.Join(cfg.Paths.EtcDir, "admission.yaml")
	auditPolicyPath := filepath.Join(cfg.Paths.EtcDir, "audit-policy.yaml")
	issuer := "https://kubernetes.default.svc." + cfg.ClusterDomain
	auditSize, auditBackups := "10", "2"
	if cfg.Profile == config.ProfileCIS {
		auditSize, auditBackups = "100", "10" // CIS 1.2.18, 1.2.19
	}
	args := upstreamargs.Args{
		"advertise-address":             cfg.AdvertiseAddress,
		"bind-address":                  cfg.BindAddress,
		"secure-port":                   strconv.Itoa(cfg.APIServerPort),
		"etcd-servers":                  strings.Join(store.Endpoints, ","),
		"service-cluster-ip-range":      cfg.ServiceCIDR,
		"authorization-mode":            "Node,RBAC",
		"enable-admission-plugins":      "NodeRestriction",
		"admission-control-config-file": admissionPath,
		// Who changed what, and who read Secrets: metadata only (never
		// bodies), the cluster's own components' routine writes left out,
		// rotated at 10 MB with 2 files kept (a small flash disk's budget).
		"audit-policy-file":     auditPolicyPath,
		"audit-log-path":        filepath.Join(cfg.Paths.ServerDir, "logs", "audit.log"),
		"audit-log-maxsize":     auditSize,
		"audit-log-maxbackup":   auditBackups,
		"audit-log-maxage":      "30",
		"audit-log-compress":    "true",
		"tls-min-version":       tlsprofile.MinVersionName,
		"tls-cipher-suites":     tlsprofile.Flag(),
		"authentication-config": authPath,
		"allow-privileged":      "true",
		"profiling":             "false",
		// At shutdown, close open watches (the in-process kubelet and
		// flannel keep theirs) instead of waiting for them: stop takes 1 s
		// instead of the full grace below.
		"shutdown-watch-termination-grace-period": "2s",
		"enable-aggregator-routing":               "true",
		// --pod-eviction-timeout: the tolerations DefaultTolerationSeconds
		// gives pods that set none (0: the taint eviction controller is off
		// instead, see the controller manager).
		"default-not-ready-toleration-seconds":   tolerationSeconds(cfg),
		"default-unreachable-toleration-seconds": tolerationSeconds(cfg),
		"tls-cert-file":                          c.APIServerServing.Cert,
		"tls-private-key-file":                   c.APIServerServing.Key,
		"client-ca-file":                         c.ClientCA.Cert,
		"service-account-key-file":               c.ServiceAccountKey,
		"service-account-signing-key-file":       c.ServiceAccountKey,
		"service-account-issuer":                 issuer,
		"api-audiences":                          issuer + ",shoal",
		"kubelet-client-certificate":             c.KubeletClient.Cert,
		"kubelet-client-key":                     c.KubeletClient.Key,
		// Kubelets' serving certificates come from a CA of their own, with
		// the names the server bound to each node.
		"kubelet-certificate-authority":      c.KubeletServingCA.Cert,
		"kubelet-preferred-address-types":    "InternalIP,ExternalIP,Hostname",
		"requestheader-client-ca-file":       c.RequestHeaderCA.Cert,
		"requestheader-allowed-names":        "system:auth-proxy",
		"requestheader-extra-headers-prefix": "X-Remote-Extra-",
		"requestheader-group-headers":        "X-Remote-Group",
		"requestheader-username-headers":     "X-Remote-User",
		"proxy-client-cert-file":             c.AuthProxy.Cert,
		"proxy-client-key-file":              c.AuthProxy.Key,
		// Connections to nodes, pods and services (logs, exec, aggregated
		// APIs) go through the supervisor, which uses an agent's tunnel.
		"egress-selector-config-file": egressPath,
	}
	if cfg.Datastore == config.DatastoreSQLite {
		singleServer(args)
	}
	for flag, file := range map[string]string{"etcd-cafile": store.CAFile, "etcd-certfile": store.CertFile, "etcd-keyfile": store.KeyFile} {
		if file != "" {
			args[flag] = file
		}
	}
	if _, err := os.Stat(cfg.Paths.Encryption); err == nil {
		// Once written (--secrets-encryption), the file is the state:
		// `shoal secrets-encrypt` edits it and kube-apiserver reloads it.
		args["encryption-provider-config"] = cfg.Paths.Encryption
		args["encryption-provider-config-automatic-reload"] = "true"
	}
	return &APIServer{
		upstream:       upstream{name: "kube-apiserver", argv: args.Verbose(cfg.Verbosity).Merge(cfg.ExtraAPIServerArgs)},
		authConfigPath: authPath,
		admissionPath:  admissionPath,
		auditPath:      auditPolicyPath,
		egressPath:     egressPath,
		egressConfig:   fmt.Sprintf(egressSelectorConfig, cfg.Paths.EgressSocket),
		admin:          admin,
	}
}

// encryptionPoll is how often kube-apiserver looks for a changed
// encryption configuration (upstream: a minute); `shoal secrets-encrypt`
// waits for the change to apply.
const encryptionPoll = 2 * time.Second

// identityLeaseRenew is how often kube-apiserver renews its identity
// Lease (upstream: every 10 s, for a Lease that lasts an hour): a datastore
// write every 5 minutes instead of 30 (issue 23, flash wear).
const identityLeaseRenew = 5 * time.Minute

// SetProcessKnobs sets the process-wide variables of upstream's that the
// control plane needs, before any component starts; the process's owner of
// such settings (cli) calls it once.
func SetProcessKnobs() {
	// Exported knobs of upstream's, there for exactly this (its
	// integration tests set them).
	encryptioncontroller.EncryptionConfigFileChangePollDuration = encryptionPoll
	controlplaneapiserver.IdentityLeaseRenewIntervalPeriod = identityLeaseRenew
}

// singleServer drops what only serves apiservers that share a datastore:
// a SQLite file has one server. Each of the two is a Lease rewritten every
// 10 s (issue 23: with the node's own, 3 of the 4 writes of an idle
// server): the lease endpoint reconciler, replaced by the one that writes
// the kubernetes Service's endpoints only when they change, and the peer
// proxy, which forwards requests to other apiservers of other versions.
func singleServer(args upstreamargs.Args) {
	args["endpoint-reconciler-type"] = "master-count"
	args["apiserver-count"] = "1"
	args["feature-gates"] = "UnknownVersionInteroperabilityProxy=false"
}

// Start writes the authentication config and runs the apiserver.
func (a *APIServer) Start(ctx context.Context) error {
	if err := atomicfile.Write(a.authConfigPath, []byte(authenticationConfig), 0o600); err != nil {
		return err
	}
	if err := atomicfile.Write(a.egressPath, []byte(a.egressConfig), 0o600); err != nil {
		return err
	}
	if err := atomicfile.Write(a.admissionPath, []byte(admissionConfig), 0o600); err != nil {
		return err
	}
	if err := atomicfile.Write(a.auditPath, []byte(auditPolicy), 0o600); err != nil {
		return err
	}
	return a.launch(ctx, apiserverCommand())
}

// apiserverCommand mirrors upstream NewAPIServerCommand without installing
// a signal handler: the context comes from ExecuteContext.
func apiserverCommand() *cobra.Command {
	s := apiserveroptions.NewServerRunOptions()
	registry := s.GenericServerRunOptions.ComponentGlobalsRegistry
	featureGate := registry.FeatureGateFor(basecompatibility.DefaultKubeComponent)
	pre := func(*cobra.Command) error {
		if err := registry.Set(); err != nil {
			return err
		}
		rest.SetDefaultWarningHandler(rest.NoWarnings{})
		return nil
	}
	run := func(cmd *cobra.Command) error {
		if err := logsapi.ValidateAndApply(s.Logs, featureGate); err != nil {
			return err
		}
		completed, err := s.Complete(cmd.Context())
		if err != nil {
			return err
		}
		if errs := completed.Validate(); len(errs) != 0 {
			return utilerrors.NewAggregate(errs)
		}
		return apiserverapp.Run(cmd.Context(), completed)
	}
	return newCommand("kube-apiserver", s.Flags(), pre, run)
}

// Ready polls /readyz with the admin identity until it answers ok.
func (a *APIServer) Ready(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(a.admin)
	if err != nil {
		return err
	}
	var last error
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		select {
		case <-a.Done():
			return false, fmt.Errorf("exited: %w", a.Err())
		default:
		}
		body, rerr := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if rerr != nil {
			last = fmt.Errorf("%w: %s", rerr, body)
			return false, nil
		}
		return string(body) == "ok", nil
	})
	if err != nil && last != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (last /readyz answer: %v)", err, last)
	}
	return err
}

// apiServerStopGrace bounds the apiserver's graceful shutdown. Its HTTP
// server waits for every open watch to end, and the in-process kubelet and
// flannel do not close all of theirs when cancelled; nothing is lost by
// moving on, since the datastore (stopped next) holds every acknowledged
// write.
const apiServerStopGrace = 5 * time.Second

// Stop cancels the apiserver and waits for it at most apiServerStopGrace.
func (a *APIServer) Stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, apiServerStopGrace)
	defer cancel()
	if err := a.Halt(ctx); err != nil {
		klog.InfoS("kube-apiserver still draining client connections; moving on", "grace", apiServerStopGrace)
	}
	return nil
}
