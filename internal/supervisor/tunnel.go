package supervisor

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/rancher/remotedialer"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/shoal-dev/shoal/internal/nodeclaim"
)

// tunnels holds the websocket tunnels agents keep open (remotedialer
// sessions keyed by the node name of the tunnel's client certificate) and
// dials through them for kube-apiserver. Where an address leads is
// decided by what the server bound, never by what a node reports: a
// node's claimed IP (package nodeclaim) and its pod CIDRs (set by
// kube-controller-manager, which a node may not change).
type tunnels struct {
	server  *remotedialer.Server
	client  kubernetes.Interface
	nodes   corelisters.NodeLister
	claims  corelisters.SecretLister
	cancel  context.CancelFunc
	report  func(string, ...any)
	mu      sync.Mutex
	entered map[string]bool
	current map[string]net.Conn // each node's tunnel connection
}

// connKey is where each request of the supervisor's server carries its
// connection (http.Server.ConnContext: withConn).
type connKey struct{}

func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

func newTunnels(auth *authenticator, client kubernetes.Interface, report func(string, ...any)) *tunnels {
	t := &tunnels{client: client, report: report, entered: map[string]bool{}, current: map[string]net.Conn{}}
	t.server = remotedialer.New(func(r *http.Request) (string, bool, error) {
		c, err := auth.identify(r.Context(), r)
		if err != nil || c.node == "" {
			// The reason is logged only (see agentCaller); remotedialer
			// answers 401.
			report("refused %s from %s: a tunnel needs a node client certificate (%v)", r.URL.Path, r.RemoteAddr, err)
			return "", false, nil
		}
		t.connected(c.node, r)
		return c.node, true, nil
	}, func(w http.ResponseWriter, r *http.Request, code int, err error) {
		if code == http.StatusUnauthorized {
			unauthorized(w)
			return
		}
		http.Error(w, err.Error(), code)
	})
	return t
}

func (t *tunnels) start(ctx context.Context) {
	ctx, t.cancel = context.WithCancel(ctx)
	f := informers.NewSharedInformerFactory(t.client, 10*time.Minute)
	inf := f.Core().V1().Nodes()
	t.nodes = inf.Lister()
	// A deleted Node frees its name: a replacement box may claim it.
	_, _ = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: func(obj any) {
		if n, ok := obj.(*corev1.Node); ok {
			t.forget(ctx, n.Name)
		} else if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			if n, ok := d.Obj.(*corev1.Node); ok {
				t.forget(ctx, n.Name)
			}
		}
	}})
	claims := informers.NewSharedInformerFactoryWithOptions(t.client, 10*time.Minute,
		informers.WithNamespace(metav1.NamespaceSystem),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = nodeclaim.Label + "=true" }))
	t.claims = claims.Core().V1().Secrets().Lister()
	f.Start(ctx.Done())
	claims.Start(ctx.Done())
}

// forget drops a deleted node's claim, so its name can be claimed again.
func (t *tunnels) forget(ctx context.Context, node string) {
	if err := nodeclaim.Release(ctx, t.client, node); err == nil {
		t.report("node %s deleted: its name may be claimed again", node)
	}
	t.mu.Lock()
	delete(t.entered, node)
	t.mu.Unlock()
}

func (t *tunnels) stop() { t.cancel() }

// connected records node's new tunnel, on r's connection, and closes the
// one it replaces: a node keeps one tunnel. The old one may be dead
// without this server knowing yet (an agent that changed its address
// cannot even send its FIN), and remotedialer dials through a node's
// oldest session: until the pings time out, every dial would hang.
func (t *tunnels) connected(node string, r *http.Request) {
	conn, _ := r.Context().Value(connKey{}).(net.Conn)
	t.mu.Lock()
	first := !t.entered[node]
	t.entered[node] = true
	old := t.current[node]
	if conn != nil {
		t.current[node] = conn
	}
	t.mu.Unlock()
	if first {
		t.report("tunnel from node %s connected", node)
	}
	if old != nil && old != conn {
		old.Close()
	}
}

// serveTunnel holds an agent's websocket for the session's lifetime.
func (t *tunnels) serveTunnel(w http.ResponseWriter, r *http.Request) {
	t.server.ServeHTTP(w, r)
	if conn, ok := r.Context().Value(connKey{}).(net.Conn); ok {
		t.mu.Lock()
		for node, c := range t.current {
			if c == conn {
				delete(t.current, node)
			}
		}
		t.mu.Unlock()
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		t.report("tunnel from %s (%s) closed", r.TLS.PeerCertificates[0].Subject.CommonName, r.RemoteAddr)
	}
}

// route finds how to reach host: through the tunnel of the node the
// address is bound to, directly if it is bound to none or its node never
// kept a tunnel (this server's own node). A tunnelled node whose tunnel is
// down cannot be reached: dialing it directly would only wait for a
// timeout behind its NAT.
func (t *tunnels) route(host string) (node string, err error) {
	ip := net.ParseIP(host)
	if ip == nil {
		return "", nil
	}
	owner := t.owner(ip)
	if owner == "" {
		return "", nil
	}
	if t.server.HasSession(owner) {
		return owner, nil
	}
	t.mu.Lock()
	tunnelled := t.entered[owner]
	t.mu.Unlock()
	if tunnelled {
		return "", fmt.Errorf("node %s: its tunnel is down (the agent reconnects by itself)", owner)
	}
	return "", nil
}

// owner is the node ip is bound to: by its claim, or by a pod CIDR.
func (t *tunnels) owner(ip net.IP) string {
	if secrets, err := t.claims.List(labels.Everything()); err == nil {
		for _, s := range secrets {
			if node, bound, ok := nodeclaim.NodeOf(s); ok && net.ParseIP(bound).Equal(ip) {
				return node
			}
		}
	}
	nodes, err := t.nodes.List(labels.Everything())
	if err != nil {
		return ""
	}
	for _, n := range nodes {
		if podCIDROwns(n, ip) {
			return n.Name
		}
	}
	return ""
}

// podCIDROwns tells whether ip is in one of n's pod CIDRs, which
// kube-controller-manager allocates and NodeRestriction keeps a node from
// changing.
func podCIDROwns(n *corev1.Node, ip net.IP) bool {
	for _, c := range append([]string{n.Spec.PodCIDR}, n.Spec.PodCIDRs...) {
		if _, cidr, err := net.ParseCIDR(c); err == nil && cidr.Contains(ip) {
			return true
		}
	}
	return false
}

// serveConnect is kube-apiserver's egress proxy (HTTP CONNECT): through
// the node's tunnel when it has one, directly otherwise.
func (t *tunnels) serveConnect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	node, err := t.route(host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	var conn net.Conn
	if node != "" {
		conn, err = t.server.Dialer(node)(ctx, "tcp", r.Host)
	} else {
		conn, err = (&net.Dialer{}).DialContext(ctx, "tcp", r.Host)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		conn.Close()
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		conn.Close()
		return
	}
	_, _ = client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go pipe(conn, client, buf.Reader)
}

// pipe copies both ways until either side closes, then closes both.
func pipe(upstream, client net.Conn, pending io.Reader) {
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, pending); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, upstream); done <- struct{}{} }()
	<-done
	upstream.Close()
	client.Close()
}

// listenUnix listens on path, replacing a socket left by a killed process.
func listenUnix(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("egress socket: %w", err)
	}
	return ln, os.Chmod(path, 0o600)
}
