package supervisor

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/pki"
)

// testPKI issues the files newAPIProxy reads, plus a user certificate of
// the client CA and one of a stranger CA.
func testPKI(t *testing.T) (c *certs.Server, user, stranger *x509.Certificate) {
	dir := t.TempDir()
	c = certs.Layout(config.NewPaths(dir))
	if err := os.MkdirAll(dir+"/server/tls", 0o700); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := func(p certs.Pair, name string) *pki.CA {
		x, err := pki.LoadOrCreateCA(p.Cert, p.Key, name)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	leaf := func(ca *pki.CA, l pki.Leaf, p certs.Pair) *x509.Certificate {
		if _, err := pki.EnsureLeaf(ca, l, p.Cert, p.Key, now); err != nil {
			t.Fatal(err)
		}
		x, _ := pki.LoadCert(p.Cert)
		return x
	}
	serverCA, clientCA, rhCA := ca(c.ServerCA, "s"), ca(c.ClientCA, "c"), ca(c.RequestHeaderCA, "rh")
	strangerCA := ca(certs.Pair{Cert: dir + "/x.crt", Key: dir + "/x.key"}, "x")
	leaf(serverCA, pki.Leaf{CommonName: "apiserver", IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true}, c.APIServerServing)
	leaf(rhCA, pki.Leaf{CommonName: "system:auth-proxy", Client: true}, c.AuthProxy)
	user = leaf(clientCA, pki.Leaf{CommonName: "alice", Organization: []string{"devs"}, Client: true},
		certs.Pair{Cert: dir + "/alice.crt", Key: dir + "/alice.key"})
	stranger = leaf(strangerCA, pki.Leaf{CommonName: "admin", Organization: []string{"system:masters"}, Client: true},
		certs.Pair{Cert: dir + "/mallory.crt", Key: dir + "/mallory.key"})
	return c, user, stranger
}

// proxyTo starts backend with the apiserver's serving certificate (asking
// for client certificates, as kube-apiserver does) and returns the proxy
// in front of it; the backend stops with the test.
func proxyTo(t *testing.T, c *certs.Server, backend *httptest.Server) http.Handler {
	t.Helper()
	serving, err := tls.LoadX509KeyPair(c.APIServerServing.Cert, c.APIServerServing.Key)
	if err != nil {
		t.Fatal(err)
	}
	backend.TLS = &tls.Config{Certificates: []tls.Certificate{serving}, ClientAuth: tls.RequestClientCert}
	backend.StartTLS()
	t.Cleanup(backend.Close)
	clientCAs := x509.NewCertPool()
	b, _ := os.ReadFile(c.ClientCA.Cert)
	clientCAs.AppendCertsFromPEM(b)
	proxy, err := newAPIProxy(backend.URL, c, &authenticator{clientCAs: clientCAs, now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return proxy
}

// TestProxyPassesOnOnlyVerifiedIdentities: kube-apiserver trusts the
// X-Remote-* headers of the auth-proxy connection, so the proxy must set
// them only from a verified client certificate and drop forged ones.
func TestProxyPassesOnOnlyVerifiedIdentities(t *testing.T) {
	c, user, stranger := testPKI(t)
	var seen http.Header
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asProxy := len(r.TLS.PeerCertificates) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "system:auth-proxy"
		if asProxy != (r.Header.Get("X-Remote-User") != "") {
			t.Errorf("auth-proxy certificate presented: %v, with user header %q", asProxy, r.Header.Get("X-Remote-User"))
		}
		seen = r.Header.Clone()
	}))
	proxy := proxyTo(t, c, backend)
	for _, tc := range []struct {
		name       string
		peer       *x509.Certificate
		bearer     string
		wantUser   string
		wantGroups []string
	}{
		{name: "forged headers, no certificate"},
		{name: "verified certificate", peer: user, wantUser: "alice", wantGroups: []string{"devs"}},
		{name: "certificate of another CA", peer: stranger},
		{name: "bearer token passes through", bearer: "abc"},
	} {
		req := httptest.NewRequest(http.MethodGet, "https://shoal/api", nil)
		req.Header.Set("X-Remote-User", "system:admin")
		req.Header.Add("X-Remote-Group", "system:masters")
		req.Header.Set("X-Remote-Extra-Scopes", "all")
		if tc.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
		}
		req.TLS = &tls.ConnectionState{}
		if tc.peer != nil {
			req.TLS.PeerCertificates = []*x509.Certificate{tc.peer}
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d %s", tc.name, rec.Code, rec.Body)
		}
		if got := seen.Get("X-Remote-User"); got != tc.wantUser {
			t.Errorf("%s: X-Remote-User %q, want %q", tc.name, got, tc.wantUser)
		}
		if got := seen.Values("X-Remote-Group"); len(got) != len(tc.wantGroups) || (len(got) > 0 && got[0] != tc.wantGroups[0]) {
			t.Errorf("%s: X-Remote-Group %q, want %q", tc.name, got, tc.wantGroups)
		}
		if seen.Get("X-Remote-Extra-Scopes") != "" {
			t.Errorf("%s: forged extra header passed on", tc.name)
		}
		if got := seen.Get("Authorization"); got != "" && got != "Bearer "+tc.bearer {
			t.Errorf("%s: Authorization %q", tc.name, got)
		}
	}
}

// TestProxyRefusedUpgradeKeepsItsBody: kube-apiserver refuses an SPDY
// upgrade (an admission webhook denying attach, a wrong container) with a
// Status body; behind the proxy the client must get that answer, not a 502,
// though the back end speaks HTTP/2.
func TestProxyRefusedUpgradeKeepsItsBody(t *testing.T) {
	c, user, _ := testPKI(t)
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 1 {
			t.Errorf("upgrade request reached the back end over %s", r.Proto)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"kind":"Status","message":"attaching to pod 'p' is not allowed"}`))
	}))
	backend.EnableHTTP2 = true
	proxy := proxyTo(t, c, backend)
	for _, peer := range []*x509.Certificate{user, nil} {
		req := httptest.NewRequest(http.MethodPost, "https://shoal/api/v1/namespaces/n/pods/p/attach?stdin=true", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "SPDY/3.1")
		req.Header.Set("X-Stream-Protocol-Version", "v4.channel.k8s.io")
		req.TLS = &tls.ConnectionState{}
		if peer != nil {
			req.TLS.PeerCertificates = []*x509.Certificate{peer}
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "is not allowed") {
			t.Fatalf("certificate %v: got %d %q, want the back end's 403 and its Status", peer != nil, rec.Code, rec.Body)
		}
	}
}
