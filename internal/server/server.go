package server

import (
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/controlplane"
	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/kubeconfig"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Run starts the control plane and blocks until ctx ends or a component
// fails; it always stops what it started. cfg must be Completed.
func Run(ctx context.Context, cfg *config.Server, out io.Writer) error {
	start := time.Now()
	report := func(format string, args ...any) {
		fmt.Fprintf(out, "shoal: "+format+"\n", args...)
	}
	unlock, err := lockDataDir(cfg.Paths)
	if err != nil {
		return err
	}
	defer unlock()

	t0 := time.Now()
	c, issued, err := certs.Ensure(cfg, t0)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	admin, err := writeComponentKubeconfigs(cfg, c)
	if err != nil {
		return err
	}
	report("certificates ready in %s (%d issued, the rest reused) (%.2fs)", cfg.Paths.TLSDir, issued, time.Since(t0).Seconds())

	if !cfg.DisableAgent {
		report("the local node (agent) is not part of this release yet: running the control plane only")
	}
	ds := datastore.NewSQLite(cfg.Paths.DBFile, cfg.Paths.KineSocket)
	runner := &lifecycle.Runner{
		Components: []lifecycle.Component{
			ds,
			controlplane.NewAPIServer(cfg, c, ds.Endpoint(), admin),
			controlplane.NewScheduler(cfg),
			controlplane.NewControllerManager(cfg, c, admin),
		},
		Report: report,
	}
	return runner.Run(ctx, func() error {
		if cfg.WriteKubeconfig != "" {
			if err := writeUserKubeconfig(cfg, c); err != nil {
				return err
			}
			report("kubeconfig written to %s", cfg.WriteKubeconfig)
		}
		report("server ready in %.2fs: https://127.0.0.1:%d", time.Since(start).Seconds(), cfg.HTTPSListenPort)
		return nil
	})
}

// writeComponentKubeconfigs writes the kubeconfigs the in-process
// components read, and returns the admin REST config shoal itself uses.
func writeComponentKubeconfigs(cfg *config.Server, c *certs.Server) (*rest.Config, error) {
	server := fmt.Sprintf("https://127.0.0.1:%d", cfg.HTTPSListenPort)
	for name, pair := range map[string]certs.Pair{
		"admin":      c.Admin,
		"controller": c.ControllerMgr,
		"scheduler":  c.Scheduler,
	} {
		kc := kubeconfig.Client{Server: server, CAFile: c.ServerCA.Cert, CertFile: pair.Cert, KeyFile: pair.Key}
		if err := kubeconfig.Write(cfg.Paths.Cred(name), kc, false, 0o600); err != nil {
			return nil, err
		}
	}
	admin, err := clientcmd.BuildConfigFromFlags("", cfg.Paths.Cred("admin"))
	if err != nil {
		return nil, fmt.Errorf("admin kubeconfig: %w", err)
	}
	admin.UserAgent = "shoal"
	return admin, nil
}

// writeUserKubeconfig writes the admin kubeconfig with embedded
// credentials, readable by whoever --write-kubeconfig-mode allows.
func writeUserKubeconfig(cfg *config.Server, c *certs.Server) error {
	kc := kubeconfig.Client{
		Server:   fmt.Sprintf("https://127.0.0.1:%d", cfg.HTTPSListenPort),
		CAFile:   c.ServerCA.Cert,
		CertFile: c.Admin.Cert,
		KeyFile:  c.Admin.Key,
	}
	return kubeconfig.Write(cfg.WriteKubeconfig, kc, true, cfg.KubeconfigMode)
}
