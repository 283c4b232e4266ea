package join

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/joinprotocol"
	"github.com/shoal-dev/shoal/internal/token"
)

// ServerBootstrap fetches the cluster's secrets from a running server
// (CA pinned by the token, which must be the server token) and writes
// them under dataDir. Keys are 0600, certificates 0644.
func ServerBootstrap(ctx context.Context, server string, tok token.Token, dataDir string, warn func(string, ...any)) (int, error) {
	o := Options{Server: server, Token: tok, Warn: warn}
	caPEM, err := fetchCA(ctx, o)
	if err != nil {
		return 0, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	c := &client{o: o, cred: tok.Credential, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}}
	var b joinprotocol.Bootstrap
	if err := c.do(ctx, http.MethodGet, joinprotocol.PathBootstrap, nil, &b); err != nil {
		return 0, err
	}
	for rel, content := range b.Files {
		clean := filepath.Clean(rel)
		if filepath.IsAbs(clean) || strings.HasPrefix(clean, "..") {
			return 0, fmt.Errorf("bootstrap data: bad path %q", rel)
		}
		mode := os.FileMode(0o600)
		if strings.HasSuffix(clean, ".crt") {
			mode = 0o644
		}
		path := filepath.Join(dataDir, clean)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return 0, err
		}
		if err := atomicfile.Write(path, content, mode); err != nil {
			return 0, err
		}
	}
	return len(b.Files), nil
}
