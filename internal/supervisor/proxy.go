package supervisor

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/shoal-dev/shoal/internal/certs"
)

// The front-proxy headers kube-apiserver trusts from the auth-proxy
// certificate (--requestheader-*-headers).
const (
	headerUser        = "X-Remote-User"
	headerGroup       = "X-Remote-Group"
	headerExtraPrefix = "X-Remote-Extra-"
)

// newAPIProxy forwards to kube-apiserver. A verified client certificate
// becomes X-Remote-User/X-Remote-Group on a connection authenticated with
// the auth-proxy certificate; bearer tokens and anonymous requests go over
// a connection without a client certificate, untouched. Headers a client
// sent to impersonate the proxy are dropped.
func newAPIProxy(apiserver string, c *certs.Server, auth *authenticator) (http.Handler, error) {
	target, err := url.Parse(apiserver)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	b, err := os.ReadFile(c.ServerCA.Cert)
	if err != nil || !roots.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("server CA %s: unreadable (%v)", c.ServerCA.Cert, err)
	}
	proxyCert, err := tls.LoadX509KeyPair(c.AuthProxy.Cert, c.AuthProxy.Key)
	if err != nil {
		return nil, fmt.Errorf("auth-proxy certificate: %w", err)
	}
	transport := func(certs []tls.Certificate, h2 bool) *http.Transport {
		t := &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   h2,
			MaxIdleConnsPerHost: 32,
			IdleConnTimeout:     90 * time.Second,
		}
		if !h2 {
			t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // HTTP/1.1 only
		}
		return t
	}
	rp := &httputil.ReverseProxy{
		Transport: &byIdentity{
			asProxy: transport([]tls.Certificate{proxyCert}, true), plain: transport(nil, true),
			upgradeAsProxy: transport([]tls.Certificate{proxyCert}, false), upgradePlain: transport(nil, false),
		},
		FlushInterval: -1, // watches and logs stream
		ErrorLog:      quietLog(),
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			for k := range pr.Out.Header {
				if strings.EqualFold(k, headerUser) || strings.EqualFold(k, headerGroup) ||
					strings.HasPrefix(strings.ToLower(k), strings.ToLower(headerExtraPrefix)) {
					pr.Out.Header.Del(k)
				}
			}
			if cert, err := auth.peerCert(pr.In); err == nil && cert != nil {
				pr.Out.Header.Set(headerUser, cert.Subject.CommonName)
				for _, g := range cert.Subject.Organization {
					pr.Out.Header.Add(headerGroup, g)
				}
			}
		},
	}
	return rp, nil
}

// byIdentity sends requests that carry an identity from a verified
// certificate over auth-proxy connections, and the others (bearer tokens,
// anonymous health checks) over connections without a client certificate:
// kube-apiserver would reject a request that presents the auth-proxy
// certificate without the user header (its x509 check fails), even for
// the endpoints anonymous callers may read.
//
// Upgrade requests (exec, attach, port-forward) go over HTTP/1.1-only
// connections: net/http keeps only WebSocket upgrades off HTTP/2 by itself,
// and an SPDY upgrade sent over HTTP/2 fails — kubectl's SPDY fallback then
// got a 502 with an empty body instead of kube-apiserver's refusal (found by
// the conformance test "AdmissionWebhook should be able to deny attaching
// pod").
type byIdentity struct{ asProxy, plain, upgradeAsProxy, upgradePlain http.RoundTripper }

func (b *byIdentity) RoundTrip(r *http.Request) (*http.Response, error) {
	upgrade := httpguts.HeaderValuesContainsToken(r.Header["Connection"], "upgrade")
	switch {
	case r.Header.Get(headerUser) != "" && upgrade:
		return b.upgradeAsProxy.RoundTrip(r)
	case r.Header.Get(headerUser) != "":
		return b.asProxy.RoundTrip(r)
	case upgrade:
		return b.upgradePlain.RoundTrip(r)
	}
	return b.plain.RoundTrip(r)
}

// quietLog drops net/http's per-connection noise (TLS handshake errors
// from probes, clients going away).
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }
