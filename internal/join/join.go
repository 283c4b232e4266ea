package join

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/joinprotocol"
	"github.com/shoal-dev/shoal/internal/token"
)

// Options say whom to join and as what.
type Options struct {
	Server   string // https://HOST:PORT, the --server flag
	Token    token.Token
	NodeName string
	NodeIP   string
	TLSDir   string // the node's certificates and the CAs
	EtcDir   string // node password, last known config
	Warn     func(string, ...any)
}

// Result is what the agent runs with.
type Result struct {
	Server string // the server URL that answered
	Config joinprotocol.AgentConfig
	Certs  *certs.Node
}

// Join runs the protocol once. Its errors name what is wrong (token, CA
// pin, node name) and are final; a server that cannot be reached yet
// gives an error wrapping ErrUnreachable, which callers may retry.
func Join(ctx context.Context, o Options) (*Result, error) {
	caPEM, err := fetchCA(ctx, o)
	if err != nil {
		return nil, err
	}
	serverCAPath := filepath.Join(o.TLSDir, "server-ca.crt")
	n := certs.NodeFiles(o.TLSDir, serverCAPath, filepath.Join(o.TLSDir, "client-ca.crt"), filepath.Join(o.TLSDir, "kubelet-serving-ca.crt"))
	c, err := newClient(o, caPEM, n)
	if err != nil {
		return nil, err
	}
	if err := c.ensureCerts(ctx, n); err != nil {
		return nil, err
	}
	var cfg joinprotocol.AgentConfig
	if err := c.do(ctx, http.MethodGet, joinprotocol.PathConfig, nil, &cfg); err != nil {
		return nil, err
	}
	// Only a join that succeeded pins the CA (and the token hash it was
	// pinned under) for the next ones.
	if err := atomicfile.Write(serverCAPath, caPEM, 0o644); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(pinnedHashPath(o), []byte(o.Token.CAHash), 0o600); err != nil {
		return nil, err
	}
	return &Result{Server: o.Server, Config: cfg, Certs: n}, nil
}

// ErrUnreachable marks errors worth retrying: the server did not answer.
var ErrUnreachable = errors.New("server unreachable")

// fetchCA gets the CA bundle without trusting anything, then pins it to
// the token's hash.
func fetchCA(ctx context.Context, o Options) ([]byte, error) {
	insecure := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // verified below against the token's hash
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.Server+joinprotocol.PathCACerts, nil)
	if err != nil {
		return nil, fmt.Errorf("--server %q: %w", o.Server, err)
	}
	resp, err := insecure.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: --server %s: %v", ErrUnreachable, o.Server, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("--server %s: GET %s: %s %v", o.Server, joinprotocol.PathCACerts, resp.Status, err)
	}
	got := token.CAHash(body)
	switch {
	case o.Token.CAHash == "":
		o.Warn("the token carries no CA hash: trusting the CA %s presents (sha256 %s); use the full K10… token to pin it", o.Server, got)
	case got != o.Token.CAHash:
		if b, ok := vouched(ctx, o); ok {
			o.Warn("the server's CA was rotated (sha256 %s): trusted because the CA the token pins vouches for the server; give new agents the server's new token", got)
			body = b
			break
		}
		return nil, fmt.Errorf("--token: the server at %s presents a CA with sha256 %s, but the token pins %s: the token is for another cluster, or something is intercepting the connection", o.Server, got, o.Token.CAHash)
	}
	if block, _ := pem.Decode(body); block == nil {
		return nil, fmt.Errorf("--server %s: %s is not PEM", o.Server, joinprotocol.PathCACerts)
	}
	return body, nil
}

// pinnedHashPath keeps the token CA hash of the last successful join.
func pinnedHashPath(o Options) string { return filepath.Join(o.TLSDir, "server-ca.token-hash") }

// vouched fetches the CA bundle again over TLS verified with the CA this
// node pinned at its last successful join with the same token: after `shoal
// certificate rotate-ca` the server's new serving chain carries the new CA
// cross-signed by the old one, so the same cluster passes and an impostor
// does not.
func vouched(ctx context.Context, o Options) ([]byte, bool) {
	if h, err := os.ReadFile(pinnedHashPath(o)); err != nil || o.Token.CAHash == "" || string(h) != o.Token.CAHash {
		return nil, false
	}
	pinned, err := os.ReadFile(filepath.Join(o.TLSDir, "server-ca.crt"))
	if err != nil {
		return nil, false
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pinned) {
		return nil, false
	}
	verified := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.Server+joinprotocol.PathCACerts, nil)
	if err != nil {
		return nil, false
	}
	resp, err := verified.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return body, err == nil && resp.StatusCode == http.StatusOK
}

// client talks to the supervisor with the CA pinned, as the node (once it
// has a valid client certificate) or with the token.
type client struct {
	o    Options
	http *http.Client
	cred string
	ca   *x509.Certificate
}

func newClient(o Options, caPEM []byte, n *certs.Node) (*client, error) {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	block, _ := pem.Decode(caPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("server CA: %w", err)
	}
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	// A node that already holds a client certificate proves itself with
	// it, so an expired bootstrap token does not stop a restart.
	if pair, err := tls.LoadX509KeyPair(n.KubeletClient.Cert, n.KubeletClient.Key); err == nil &&
		pair.Leaf != nil && time.Now().Before(pair.Leaf.NotAfter) {
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &client{o: o, ca: ca, cred: o.Token.Credential,
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}}, nil
}

// do sends a JSON request and decodes the JSON answer; a refusal becomes
// an error carrying the server's one-line reason.
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.o.Server+path, body)
	if err != nil {
		return err
	}
	if c.cred != "" {
		req.Header.Set("Authorization", "Bearer "+c.cred)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrUnreachable, method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		// The server says no more, so as not to tell a guesser which tokens exist.
		return fmt.Errorf("--token: refused by the server: a wrong, expired or deleted token (the server's log says which)")
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("server refused %s %s (%s): %s", method, path, resp.Status, strings.TrimSpace(string(msg)))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
