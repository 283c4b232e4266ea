package supervisor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/joinprotocol"
	"github.com/shoal-dev/shoal/internal/pki"
	"github.com/shoal-dev/shoal/internal/token"
)

func TestIdentify(t *testing.T) {
	c, user, stranger := testPKI(t)
	clientCA, _ := pki.LoadOrCreateCA(c.ClientCA.Cert, c.ClientCA.Key, "c")
	nodePair := certs.Pair{Cert: filepath.Join(t.TempDir(), "n.crt"), Key: filepath.Join(t.TempDir(), "n.key")}
	leaf, _ := certs.NodeLeaf(certs.KubeletClientCert, "edge-1", "10.0.0.5")
	if _, err := pki.EnsureLeaf(clientCA, leaf, nodePair.Cert, nodePair.Key, time.Now()); err != nil {
		t.Fatal(err)
	}
	node, _ := pki.LoadCert(nodePair.Cert)
	pool := x509.NewCertPool()
	b, _ := os.ReadFile(c.ClientCA.Cert)
	pool.AppendCertsFromPEM(b)
	a := &authenticator{serverCred: func() string { return "server:s3cret" }, agentCred: func() string { return "agent:n0de" },
		clientCAs: pool, now: time.Now}
	for _, tc := range []struct {
		name    string
		peer    *x509.Certificate
		bearer  string
		want    caller
		wantErr string
	}{
		{name: "server token", bearer: "server:s3cret", want: caller{server: true, agent: true}},
		{name: "wrong token", bearer: "server:nope", wantErr: "wrong token"},
		{name: "agent token joins, is no server", bearer: "agent:n0de", want: caller{agent: true}},
		{name: "agent secret under the server user", bearer: "server:n0de", wantErr: "wrong token"},
		{name: "nothing", wantErr: "no credential"},
		{name: "node certificate", peer: node, want: caller{node: "edge-1", agent: true}},
		{name: "a user's certificate is no node", peer: user, wantErr: "no credential"},
		{name: "stranger certificate", peer: stranger, wantErr: "unknown authority"},
		{name: "stranger certificate but the token", peer: stranger, bearer: "server:s3cret", want: caller{server: true, agent: true}},
	} {
		r := httptest.NewRequest(http.MethodGet, "https://shoal"+joinprotocol.PathConfig, nil)
		r.TLS = &tls.ConnectionState{}
		if tc.peer != nil {
			r.TLS.PeerCertificates = []*x509.Certificate{tc.peer}
		}
		if tc.bearer != "" {
			r.Header.Set("Authorization", "Bearer "+tc.bearer)
		}
		got, err := a.identify(context.Background(), r)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestTokenFileFollowsRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	cred := tokenFile(path, "server:old")
	if cred() != "server:old" {
		t.Fatal("initial credential not used before the file exists")
	}
	if _, err := token.EnsureServer(path, "new-0123456789abcdef", []byte("ca")); err != nil {
		t.Fatal(err)
	}
	if got := cred(); got != "server:new-0123456789abcdef" {
		t.Errorf("after rotation: %q", got)
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(1, 2)
	r := httptest.NewRequest(http.MethodGet, "/ping", nil)
	r.RemoteAddr = "10.0.0.9:5555"
	if !l.allow(r) || !l.allow(r) || l.allow(r) {
		t.Error("burst of 2 not enforced")
	}
	other := httptest.NewRequest(http.MethodGet, "/ping", nil)
	other.RemoteAddr = "10.0.0.10:5555"
	if !l.allow(other) {
		t.Error("another client shares the first one's bucket")
	}
}

// Many idle addresses do not reset a client being limited.
func TestLimiterKeepsBusyClients(t *testing.T) {
	l := newLimiter(0.001, 2)
	l.maxKeys = 10
	req := func(ip string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/ping", nil)
		r.RemoteAddr = ip + ":5555"
		return r
	}
	busy := req("10.0.0.1")
	l.allow(busy)
	l.allow(busy)
	for i := 0; i < 50; i++ {
		l.perIP[fmt.Sprintf("10.1.0.%d", i)] = rate.NewLimiter(l.rps, l.burst) // idle: full buckets
		l.allow(req("10.2.0.1"))
	}
	if l.allow(busy) {
		t.Error("the limited client got a fresh bucket after other addresses came and went")
	}
}

// A 401 names no bootstrap token id (nor secret): an unknown, an expired
// and a wrong-secret token get the same body, so the answers cannot be
// used to find which token ids exist. The reason goes to the log, without
// the secret.
func TestUnauthorizedBodyRevealsNoToken(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const expiredID, expiredSecret = "abcdef", "0123456789abcdef"
	client := fake.NewSimpleClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: bootstrapapi.BootstrapTokenSecretPrefix + expiredID, Namespace: metav1.NamespaceSystem},
		Type:       bootstrapapi.SecretTypeBootstrapToken,
		Data: map[string][]byte{
			bootstrapapi.BootstrapTokenIDKey:               []byte(expiredID),
			bootstrapapi.BootstrapTokenSecretKey:           []byte(expiredSecret),
			bootstrapapi.BootstrapTokenUsageAuthentication: []byte("true"),
			bootstrapapi.BootstrapTokenExpirationKey:       []byte(now.Add(-time.Hour).Format(time.RFC3339)),
		},
	})
	var logged []string
	report := func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	a := &authenticator{serverCred: func() string { return "server:0123456789abcdef0123" }, client: client,
		clientCAs: x509.NewCertPool(), now: func() time.Time { return now }}
	s := &Supervisor{cfg: Config{Report: report}, auth: a, now: a.now}
	tun := newTunnels(a, client, report)
	for _, tc := range []struct{ name, id, secret, wantLog string }{
		{name: "unknown", id: "zzzzzz", secret: "yyyyyyyyyyyyyyyy", wantLog: "unknown"},
		{name: "expired", id: expiredID, secret: expiredSecret, wantLog: "expired"},
		{name: "wrong secret", id: expiredID, secret: "xxxxxxxxxxxxxxxx", wantLog: "wrong secret"},
	} {
		for path, serve := range map[string]http.HandlerFunc{joinprotocol.PathConfig: s.agentConfig, joinprotocol.PathNodeCerts: s.nodeCerts,
			joinprotocol.PathBootstrap: s.bootstrap, joinprotocol.PathConnect: tun.server.ServeHTTP} {
			logged = nil
			r := httptest.NewRequest(http.MethodGet, "https://shoal"+path, nil)
			r.Header.Set("Authorization", "Bearer "+tc.id+"."+tc.secret)
			rec := httptest.NewRecorder()
			serve(rec, r)
			body := rec.Body.String()
			if rec.Code != http.StatusUnauthorized || strings.TrimSpace(body) != unauthorizedBody {
				t.Errorf("%s token at %s: %d %q, want 401 %q", tc.name, path, rec.Code, body, unauthorizedBody)
			}
			if strings.Contains(body, tc.id) || strings.Contains(body, tc.secret) {
				t.Errorf("%s token at %s: the body %q reveals the token", tc.name, path, body)
			}
			log := strings.Join(logged, "\n")
			if !strings.Contains(log, tc.id) || !strings.Contains(log, tc.wantLog) || strings.Contains(log, tc.secret) {
				t.Errorf("%s token at %s: log %q, want the id and %q without the secret", tc.name, path, log, tc.wantLog)
			}
		}
	}
}
