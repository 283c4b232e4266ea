package supervisor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/joinprotocol"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/tlsprofile"
)

// Config is what the supervisor serves and where.
type Config struct {
	ListenAddr   string // --bind-address:--https-listen-port
	APIServer    string // https://127.0.0.1:APIServerPort
	Advertise    string // host:port agents reach this server at
	Certs        *certs.Server
	ServerCred   string // the server token's credential
	TokenFile    string // where it is kept; re-read when it changes
	AgentCred    string // the agent token's credential: joins nodes only
	AgentFile    string // where it is kept
	Cluster      config.Cluster
	Client       kubernetes.Interface // admin: bootstrap tokens, node passwords, nodes
	EgressSocket string
	// UpgradesDir holds the binaries upgrade Plans name (server/upgrades).
	UpgradesDir string
	// LocalNode is this server's own node name ("" with --disable-agent)
	// and LocalNodeHash its password's hash: no one else may claim it.
	LocalNode, LocalNodeHash string
	// BootstrapFiles are served to joining servers: relative path in the
	// data dir → absolute path here. Missing files are left out.
	BootstrapFiles map[string]string
	Report         func(string, ...any)
}

// Supervisor is the public port's server.
type Supervisor struct {
	cfg            Config
	auth           *authenticator
	tunnels        *tunnels
	caPEM          []byte
	srv            *http.Server
	egress         *http.Server
	now            func() time.Time
	lifecycle.Task // serves the public port

	// Every agent asks for the server list every 15 s: one apiserver read
	// per serversTTL serves them all.
	serversMu   sync.Mutex
	serversList []string
	serversAt   time.Time
}

// serversTTL is how long a read of the server list is reused.
const serversTTL = 10 * time.Second

var _ lifecycle.Component = (*Supervisor)(nil)

// New builds the supervisor; Start listens.
func New(cfg Config) *Supervisor {
	return &Supervisor{cfg: cfg, now: time.Now}
}

// Name implements lifecycle.Component.
func (s *Supervisor) Name() string { return "supervisor" }

func (s *Supervisor) report(format string, args ...any) {
	if s.cfg.Report != nil {
		s.cfg.Report(format, args...)
	}
}

// Start loads the certificates, builds the routes and listens on the
// public port and on the egress socket.
func (s *Supervisor) Start(ctx context.Context) error {
	var err error
	// The CA bundle /cacerts serves, and tokens pin.
	if s.caPEM, err = os.ReadFile(s.cfg.Certs.ServerCA.Cert); err != nil {
		return err
	}
	clientCAs := x509.NewCertPool()
	if b, err := os.ReadFile(s.cfg.Certs.ClientCA.Cert); err != nil || !clientCAs.AppendCertsFromPEM(b) {
		return fmt.Errorf("client CA %s: unreadable (%v)", s.cfg.Certs.ClientCA.Cert, err)
	}
	s.auth = &authenticator{serverCred: tokenFile(s.cfg.TokenFile, s.cfg.ServerCred), clientCAs: clientCAs, client: s.cfg.Client, now: s.now}
	if s.cfg.AgentCred != "" {
		s.auth.agentCred = tokenFile(s.cfg.AgentFile, s.cfg.AgentCred)
	}
	proxy, err := newAPIProxy(s.cfg.APIServer, s.cfg.Certs, s.auth)
	if err != nil {
		return err
	}
	s.tunnels = newTunnels(s.auth, s.cfg.Client, s.report)
	s.tunnels.start(ctx)
	serving, err := tls.LoadX509KeyPair(s.cfg.Certs.APIServerServing.Cert, s.cfg.Certs.APIServerServing.Key)
	if err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	s.srv = &http.Server{
		Handler:           s.routes(proxy),
		ReadHeaderTimeout: 10 * time.Second,
		// Kept-alive connections nobody uses are closed (a read timeout
		// cannot be set: watches, logs and exec stream for hours).
		IdleTimeout: 2 * time.Minute,
		ConnContext: withConn,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{serving}, ClientAuth: tls.RequestClientCert,
			MinVersion: tlsprofile.MinVersion, CipherSuites: tlsprofile.CipherSuites(), NextProtos: []string{"h2", "http/1.1"}},
		ErrorLog: quietLog(),
	}
	ln, err := net.Listen("tcp", s.cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("--https-listen-port: %w", err)
	}
	egressLn, err := listenUnix(s.cfg.EgressSocket)
	if err != nil {
		ln.Close()
		return err
	}
	s.egress = &http.Server{Handler: http.HandlerFunc(s.tunnels.serveConnect), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.egress.Serve(egressLn) }()
	return s.Go(ctx, func(ctx context.Context) error {
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := s.srv.Shutdown(sctx); err != nil {
				_ = s.srv.Close()
			}
		}()
		if err := s.srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// routes groups the endpoints by caller; everything else is the apiserver's.
func (s *Supervisor) routes(proxy http.Handler) http.Handler {
	anonymous, agents := newLimiter(20, 40), newLimiter(5, 20)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+joinprotocol.PathCACerts, limited(anonymous, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(s.caPEM)
	}))
	mux.HandleFunc("GET "+joinprotocol.PathPing, limited(anonymous, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("pong"))
	}))
	mux.HandleFunc("GET "+joinprotocol.PathConfig, limited(agents, s.agentConfig))
	mux.HandleFunc("POST "+joinprotocol.PathNodeCerts, limited(agents, s.nodeCerts))
	mux.HandleFunc("GET "+joinprotocol.PathConnect, limited(agents, s.tunnels.serveTunnel))
	mux.HandleFunc("GET "+joinprotocol.PathBootstrap, limited(agents, s.bootstrap))
	mux.HandleFunc("GET "+joinprotocol.PathUpgrades+"{file}", limited(agents, s.upgradeBinary))
	mux.Handle("/", proxy)
	return mux
}

// agentCaller authenticates an agent endpoint's caller or answers 401.
// Why a credential failed goes to the log only: the body is the same for
// every failure, so that it tells no one which bootstrap token ids exist
// or have expired.
func (s *Supervisor) agentCaller(w http.ResponseWriter, r *http.Request) (caller, bool) {
	c, err := s.auth.identify(r.Context(), r)
	if err != nil {
		s.report("refused %s from %s: %v", r.URL.Path, r.RemoteAddr, err)
		unauthorized(w)
		return c, false
	}
	return c, true
}

func (s *Supervisor) agentConfig(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.agentCaller(w, r); !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(joinprotocol.AgentConfig{Cluster: s.cfg.Cluster, Servers: s.servers(r.Context())})
}

// servers are the supervisors of every live server: the addresses of the
// default/kubernetes EndpointSlice (each kube-apiserver's advertise
// address, kept by upstream's lease reconciler), at this supervisor's port
// (all servers of a cluster use the same --https-listen-port).
func (s *Supervisor) servers(ctx context.Context) []string {
	s.serversMu.Lock()
	defer s.serversMu.Unlock()
	if s.serversList != nil && s.now().Sub(s.serversAt) < serversTTL {
		return s.serversList
	}
	out := []string{s.cfg.Advertise}
	_, port, _ := net.SplitHostPort(s.cfg.Advertise)
	slice, err := s.cfg.Client.DiscoveryV1().EndpointSlices("default").Get(ctx, "kubernetes", metav1.GetOptions{})
	if err != nil {
		return out // not cached: the next agent asks again
	}
	for _, e := range slice.Endpoints {
		for _, ip := range e.Addresses {
			if addr := net.JoinHostPort(ip, port); !slices.Contains(out, addr) {
				out = append(out, addr)
			}
		}
	}
	s.serversList, s.serversAt = out, s.now()
	return out
}

// upgradeBinary serves a file of UpgradesDir to a node (or token holder).
func (s *Supervisor) upgradeBinary(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.agentCaller(w, r); !ok {
		return
	}
	name := r.PathValue("file")
	if name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		http.Error(w, "bad file name", http.StatusBadRequest)
		return
	}
	f, err := os.Open(filepath.Join(s.cfg.UpgradesDir, name))
	if err != nil {
		http.Error(w, "no such upgrade binary", http.StatusNotFound)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.Error(w, "no such upgrade binary", http.StatusNotFound)
		return
	}
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// bootstrap hands the cluster's secrets to a server joining with the
// server token (never to a bootstrap token or a node).
func (s *Supervisor) bootstrap(w http.ResponseWriter, r *http.Request) {
	c, ok := s.agentCaller(w, r)
	if !ok {
		return
	}
	if !c.server {
		s.report("refused %s from %s: not the server token", r.URL.Path, r.RemoteAddr)
		http.Error(w, "bootstrap data needs the server token", http.StatusForbidden)
		return
	}
	out := joinprotocol.Bootstrap{Files: map[string][]byte{}}
	for rel, abs := range s.cfg.BootstrapFiles {
		b, err := os.ReadFile(abs)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out.Files[rel] = b
	}
	s.report("bootstrap data sent to a joining server at %s", r.RemoteAddr)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// Ready returns once the listener answers.
func (s *Supervisor) Ready(ctx context.Context) error {
	select {
	case <-s.Done():
		return fmt.Errorf("exited: %w", s.Err())
	default:
		return nil
	}
}

// Stop closes the listeners and the tunnels.
func (s *Supervisor) Stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = s.egress.Close()
	s.tunnels.stop()
	return s.Halt(ctx)
}
