package supervisor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/token"
)

// caller is who a request comes from, as far as the supervisor knows.
type caller struct {
	node   string // from a node's client certificate (system:node:NAME)
	server bool   // presented the server token
	agent  bool   // presented the server token or a valid bootstrap token
}

// authenticator checks credentials against the server token, bootstrap
// tokens (Secrets read with the admin client) and the client CA.
type authenticator struct {
	serverCred func() string
	agentCred  func() string // nil: no agent token
	clientCAs  *x509.CertPool
	client     kubernetes.Interface
	now        func() time.Time
}

// unauthorizedBody is every 401's body: the reason is logged, not sent.
const unauthorizedBody = "unauthorized: invalid or expired token"

// unauthorized answers 401 with the generic body.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="shoal"`)
	http.Error(w, unauthorizedBody, http.StatusUnauthorized)
}

var errNoCredential = errors.New("no credential: send the join token as \"Authorization: Bearer CREDENTIAL\" or a node client certificate")

// peerCert verifies the TLS client certificate (if any) against the
// client CA, as kube-apiserver would, and returns it.
func (a *authenticator) peerCert(r *http.Request) (*x509.Certificate, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, nil
	}
	leaf := r.TLS.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range r.TLS.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: a.clientCAs, Intermediates: inter,
		CurrentTime: a.now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return nil, fmt.Errorf("client certificate %q: %w", leaf.Subject.CommonName, err)
	}
	return leaf, nil
}

// identify finds the caller of an agent or node endpoint.
func (a *authenticator) identify(ctx context.Context, r *http.Request) (caller, error) {
	cert, certErr := a.peerCert(r)
	if cert != nil {
		name, ok := strings.CutPrefix(cert.Subject.CommonName, "system:node:")
		if ok && slices.Contains(cert.Subject.Organization, "system:nodes") {
			return caller{node: name, agent: true}, nil
		}
	}
	cred, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || cred == "" {
		if certErr != nil {
			return caller{}, certErr
		}
		return caller{}, errNoCredential
	}
	if token.Equal(cred, a.serverCred()) {
		return caller{server: true, agent: true}, nil
	}
	if a.agentCred != nil && token.Equal(cred, a.agentCred()) {
		return caller{agent: true}, nil
	}
	if id, secret, ok := (token.Token{Credential: cred}).Bootstrap(); ok {
		if err := token.CheckBootstrap(ctx, a.client, id, secret, a.now()); err != nil {
			return caller{}, err
		}
		return caller{agent: true}, nil
	}
	return caller{}, errors.New("wrong token: neither the server token, the agent token nor a bootstrap token")
}

// tokenFile reads the server token's credential from path, again only
// when the file changes (`shoal token rotate` rewrites it while the server
// runs); until the file can be read it is initial.
func tokenFile(path, initial string) func() string {
	var mu sync.Mutex
	cred, stamp := initial, time.Time{}
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		fi, err := os.Stat(path)
		if err != nil || fi.ModTime().Equal(stamp) {
			return cred
		}
		if b, err := os.ReadFile(path); err == nil {
			if t, err := token.Parse(string(b)); err == nil {
				cred, stamp = t.Credential, fi.ModTime()
			}
		}
		return cred
	}
}

// limiter is a token bucket per client IP for one group of endpoints.
type limiter struct {
	mu      sync.Mutex
	perIP   map[string]*rate.Limiter
	rps     rate.Limit
	burst   int
	maxKeys int
}

func newLimiter(rps float64, burst int) *limiter {
	return &limiter{perIP: map[string]*rate.Limiter{}, rps: rate.Limit(rps), burst: burst, maxKeys: 4096}
}

// allow spends one token of the caller's bucket.
func (l *limiter) allow(r *http.Request) bool {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.perIP[ip]
	if !ok {
		if len(l.perIP) >= l.maxKeys {
			l.forgetIdle()
		}
		lim = rate.NewLimiter(l.rps, l.burst)
		l.perIP[ip] = lim
	}
	return lim.Allow()
}

// forgetIdle drops the clients whose bucket has refilled (they gain
// nothing by being forgotten), so that many addresses do not reset the
// ones being limited; only when every bucket is in use does it forget
// everyone rather than grow without bound.
func (l *limiter) forgetIdle() {
	for ip, lim := range l.perIP {
		if lim.Tokens() >= float64(l.burst) {
			delete(l.perIP, ip)
		}
	}
	if len(l.perIP) >= l.maxKeys {
		l.perIP = map[string]*rate.Limiter{}
	}
}

// limited wraps h with l: 429 once a client exceeds its rate.
func limited(l *limiter, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !l.allow(r) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests to "+r.URL.Path, http.StatusTooManyRequests)
			return
		}
		h(w, r)
	}
}
