package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shoal-dev/shoal/internal/join"
	"github.com/shoal-dev/shoal/internal/osimage"
	"github.com/shoal-dev/shoal/internal/token"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// newOSCommand groups the A/B OS image commands.
func newOSCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "os", Short: "A/B OS images: the node's OS agent and the GRUB boot switch"}
	var kernelArgs string
	grubCfg := &cobra.Command{
		Use:   "grub-cfg",
		Short: "Print the grub.cfg that boots slot a or b with boot counting (GRUB environment block)",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprint(cmd.OutOrStdout(), osimage.Script(kernelArgs)) },
	}
	grubCfg.Flags().StringVar(&kernelArgs, "kernel-args", "console=ttyS0 panic=5", "Kernel command line after shoal.slot=")
	cmd.AddCommand(grubCfg, newOSAgentCommand())
	return cmd
}

type osAgentFlags struct {
	server, token, nodeName, nodeIP, dataDir string
	bootDir, grubenv, healthCmd              string
}

// newOSAgentCommand runs only the OS image agent: for a machine that takes
// OS images but runs no kubelet (the agent of `shoal agent` is the same).
func newOSAgentCommand() *cobra.Command {
	var f osAgentFlags
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Join as a node and install the OSImages it is targeted at (GRUB backend)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runOSAgent(ctx, f, func(format string, args ...any) {
				fmt.Fprintf(cmd.OutOrStdout(), "shoal: "+format+"\n", args...)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "Server URL, https://HOST:PORT")
	fl.StringVar(&f.token, "token", "", "Join token")
	fl.StringVar(&f.nodeName, "node-name", "", "Node name")
	fl.StringVar(&f.nodeIP, "node-ip", "", "Node IPv4 address")
	fl.StringVarP(&f.dataDir, "data-dir", "d", "/var/lib/shoal", "Data directory (certificates, downloads)")
	fl.StringVar(&f.bootDir, "boot-dir", "/boot/shoal", "Mounted boot file system holding slots/a, slots/b")
	fl.StringVar(&f.grubenv, "grubenv", "", "GRUB environment block (default <boot-dir>/boot/grub/grubenv)")
	fl.StringVar(&f.healthCmd, "health-cmd", "", "Command (sh -c) that must succeed before a new slot is confirmed")
	return cmd
}

func runOSAgent(ctx context.Context, f osAgentFlags, report func(string, ...any)) error {
	for name, v := range map[string]string{"--server": f.server, "--token": f.token, "--node-name": f.nodeName, "--node-ip": f.nodeIP} {
		if v == "" {
			return fmt.Errorf("%s is required", name)
		}
	}
	tok, err := token.Parse(f.token)
	if err != nil {
		return fmt.Errorf("--token: %w", err)
	}
	o := join.Options{Server: strings.TrimSuffix(f.server, "/"), Token: tok, NodeName: f.nodeName, NodeIP: f.nodeIP,
		TLSDir: filepath.Join(f.dataDir, "agent", "tls"), EtcDir: filepath.Join(f.dataDir, "agent", "etc"), Warn: report}
	var res *join.Result
	for res == nil {
		if res, err = join.Join(ctx, o); err != nil && !errors.Is(err, join.ErrUnreachable) {
			return err
		} else if err != nil {
			report("%v; retrying", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(2 * time.Second):
			}
		}
	}
	rc := &rest.Config{Host: o.Server, UserAgent: "shoal-os-agent", TLSClientConfig: rest.TLSClientConfig{
		CAFile: res.Certs.ServerCA, CertFile: res.Certs.KubeletClient.Cert, KeyFile: res.Certs.KubeletClient.Key}}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return err
	}
	if err := ensureNode(ctx, client, f.nodeName); err != nil {
		return err
	}
	rt, err := rest.TransportFor(rc)
	if err != nil {
		return err
	}
	fetch := upgrade.FromServer(o.Server, rt)
	env := f.grubenv
	if env == "" {
		env = filepath.Join(f.bootDir, "boot", "grub", "grubenv")
	}
	a := &osimage.Agent{Client: client, Dynamic: dyn, NodeName: f.nodeName, Slots: osimage.Grub{Root: f.bootDir, Env: env},
		Dir: filepath.Join(f.dataDir, "agent", "osimage"), Fetch: fetch, Report: report}
	if f.healthCmd != "" {
		a.Healthy = func(ctx context.Context) error {
			out, err := exec.CommandContext(ctx, "/bin/sh", "-c", f.healthCmd).CombinedOutput()
			if err != nil {
				return fmt.Errorf("--health-cmd: %v: %s", err, strings.TrimSpace(string(out)))
			}
			return nil
		}
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	<-a.Done()
	return a.Err()
}

// ensureNode registers a Node for a machine without kubelet (the Node
// authorizer lets system:node:NAME create its own).
func ensureNode(ctx context.Context, c kubernetes.Interface, name string) error {
	_, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name,
			Labels: map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}}}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("node %s: %w", name, err)
	}
	return nil
}
