package agent

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/join"
	"github.com/shoal-dev/shoal/internal/osimage"
	"github.com/shoal-dev/shoal/internal/token"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// RunOS is `shoal os agent`: it joins as `shoal agent` does (the same
// retries, the same files), registers a Node without a kubelet and runs
// only the OS image agent until ctx ends.
func RunOS(ctx context.Context, cfg *config.OSAgent, report func(string, ...any)) error {
	tok, err := token.Parse(cfg.Token)
	if err != nil {
		return fmt.Errorf("--token: %w", err)
	}
	for _, d := range []string{cfg.AgentPaths.TLS, cfg.AgentPaths.Etc} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	o := join.Options{Server: cfg.Server, Token: tok, NodeName: cfg.NodeName, NodeIP: cfg.NodeIP,
		TLSDir: cfg.AgentPaths.TLS, EtcDir: cfg.AgentPaths.Etc, Warn: report}
	res, err := joinWithRetry(ctx, o, nil, report)
	if err != nil {
		return err
	}
	rc := &rest.Config{Host: res.Server, UserAgent: "shoal-os-agent", TLSClientConfig: rest.TLSClientConfig{
		CAFile: res.Certs.ServerCA, CertFile: res.Certs.KubeletClient.Cert, KeyFile: res.Certs.KubeletClient.Key}}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return err
	}
	if err := ensureNode(ctx, client, cfg.NodeName); err != nil {
		return err
	}
	rt, err := rest.TransportFor(rc)
	if err != nil {
		return err
	}
	a := &osimage.Agent{Client: client, Dynamic: dyn, NodeName: cfg.NodeName, Slots: osimage.Grub{Root: cfg.BootDir, Env: cfg.GrubEnv},
		Dir: cfg.OSImageDir, Fetch: upgrade.FromServer(res.Server, rt), Healthy: healthCommand(cfg.HealthCmd), Report: report}
	if err := a.Start(ctx); err != nil {
		return err
	}
	<-a.Done()
	return a.Err()
}

// healthCommand is --health-cmd as the OS agent's check (nil: none).
func healthCommand(cmd string) func(context.Context) error {
	if cmd == "" {
		return nil
	}
	return func(ctx context.Context) error {
		out, err := exec.CommandContext(ctx, "/bin/sh", "-c", cmd).CombinedOutput()
		if err != nil {
			return fmt.Errorf("--health-cmd: %v: %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
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
