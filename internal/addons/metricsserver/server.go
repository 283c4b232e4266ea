package metricsserver

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/metrics-server/cmd/metrics-server/app/options"

	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/tlsprofile"
	"github.com/shoal-dev/shoal/internal/upstreamargs"
)

// Port is where metrics-server listens, on the server's own address only.
// The aggregator reaches it there through the metrics-server Service's
// EndpointSlice; it serves nothing without the aggregator's client
// certificate or a token kube-apiserver accepts.
const Port = 10251

// Files are the credentials metrics-server runs with.
type Files struct {
	Kubeconfig              string // system:metrics-server, for the apiserver and kubelets
	ServingCert, ServingKey string
	KubeletCA               string // the CA of kubelets' serving certificates
}

// Server is upstream metrics-server in-process.
type Server struct {
	lifecycle.Task
	argv   []string
	client kubernetes.Interface
	ip     string
	node   string
}

var _ lifecycle.Component = (*Server)(nil)

// New builds metrics-server's argv: it serves on ip:Port, scrapes kubelets
// at their InternalIP and verifies them with the kubelet serving CA.
// node names this server's EndpointSlice; verbosity is klog's --v.
func New(client kubernetes.Interface, f Files, ip, node string, verbosity int) *Server {
	args := upstreamargs.Args{
		"kubeconfig":                      f.Kubeconfig,
		"authentication-kubeconfig":       f.Kubeconfig,
		"authorization-kubeconfig":        f.Kubeconfig,
		"bind-address":                    ip,
		"secure-port":                     strconv.Itoa(Port),
		"tls-cert-file":                   f.ServingCert,
		"tls-private-key-file":            f.ServingKey,
		"tls-min-version":                 tlsprofile.MinVersionName,
		"tls-cipher-suites":               tlsprofile.Flag(),
		"kubelet-preferred-address-types": "InternalIP",
		"kubelet-use-node-status-port":    "true",
		"kubelet-certificate-authority":   f.KubeletCA,
		"metric-resolution":               "15s",
	}
	return &Server{argv: args.Verbose(verbosity).Merge(nil), client: client, ip: ip, node: node}
}

// Name implements lifecycle.Component.
func (s *Server) Name() string { return "metrics-server" }

// Argv is the final argument list.
func (s *Server) Argv() []string { return s.argv }

// Start runs metrics-server.
func (s *Server) Start(ctx context.Context) error {
	cmd := command()
	cmd.SetArgs(s.argv)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	return s.Go(ctx, func(ctx context.Context) error {
		defer s.withdraw()
		return cmd.ExecuteContext(ctx)
	})
}

// command mirrors upstream NewMetricsServerCommand/runCommand with the
// same options and flags, but without its klog flag set: upstream's
// command sets klog's stderr threshold process-wide when it is built,
// which would change every other component's logging.
func command() *cobra.Command {
	opts := options.NewOptions()
	cmd := &cobra.Command{
		Use:  "metrics-server",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if errs := opts.Validate(); len(errs) > 0 {
				return errs[0]
			}
			cfg, err := opts.ServerConfig()
			if err != nil {
				return err
			}
			srv, err := cfg.Complete()
			if err != nil {
				return err
			}
			return srv.RunUntil(c.Context().Done())
		},
	}
	for _, fs := range opts.Flags().FlagSets {
		cmd.Flags().AddFlagSet(fs)
	}
	return cmd
}

// Ready waits until metrics-server answers on its port, then publishes
// this server's endpoint for the aggregator.
func (s *Server) Ready(ctx context.Context) error {
	addr := net.JoinHostPort(s.ip, strconv.Itoa(Port))
	for {
		conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return s.publish(ctx)
		}
		select {
		case <-s.Done():
			return fmt.Errorf("exited: %w", s.Err())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops metrics-server; its endpoint is withdrawn as it ends.
func (s *Server) Stop(ctx context.Context) error { return s.Halt(ctx) }
