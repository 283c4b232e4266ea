package integration

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// attacker is a bootstrap-token holder talking to a server's supervisor
// the way shoal agent does, but asking for what it should not get.
type attacker struct {
	t      *testing.T
	url    string
	cred   string
	http   *http.Client
	dir    string
	caFile string
}

func newAttacker(t *testing.T, url, fullToken string) *attacker {
	_, cred, _ := strings.Cut(fullToken, "::")
	a := &attacker{t: t, url: url, cred: cred, dir: t.TempDir(), http: &http.Client{Timeout: 20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}
	a.caFile = filepath.Join(a.dir, "server-ca.crt")
	_, ca := a.do(http.MethodGet, "/cacerts", nil)
	if err := os.WriteFile(a.caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *attacker) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var in io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		in = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.url+path, in)
	req.Header.Set("Authorization", "Bearer "+a.cred)
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// nodeCerts asks for every certificate kind a node ever held (the flannel
// one included) for name at ip; it keeps the keys in a.dir.
func (a *attacker) nodeCerts(name, ip string) (int, map[string]string, string) {
	a.t.Helper()
	keys := map[string]string{}
	for _, kind := range []string{"kubelet-client", "kubelet-serving", "kube-proxy", "flannel"} {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, _ := x509.MarshalPKIXPublicKey(k.Public())
		keys[kind] = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		kder, _ := x509.MarshalECPrivateKey(k)
		_ = os.WriteFile(filepath.Join(a.dir, kind+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	}
	code, body := a.do(http.MethodPost, "/v1-shoal/node-certs", map[string]any{
		"nodeName": name, "nodeIP": ip, "nodePassword": "attacker-password-0123456789", "publicKeys": keys})
	var resp struct {
		Certs map[string]string `json:"certs"`
	}
	_ = json.Unmarshal(body, &resp)
	for kind, chain := range resp.Certs {
		_ = os.WriteFile(filepath.Join(a.dir, kind+".crt"), []byte(chain), 0o600)
	}
	return code, resp.Certs, string(body)
}

// kubectl runs the real kubectl with one of the attacker's certificates.
func (a *attacker) kubectl(kind, stdin string, args ...string) (string, error) {
	a.t.Helper()
	argv := append([]string{"--server", a.url, "--certificate-authority", a.caFile,
		"--client-certificate", filepath.Join(a.dir, kind+".crt"), "--client-key", filepath.Join(a.dir, kind+".key")}, args...)
	cmd := exec.Command(kubectlPath(a.t, 33), argv...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestJoinTokenCannotReachOtherNodes performs, as a holder of a bootstrap
// token, each step of the chain from a join token to root on other nodes
// (issue: node annotations became file paths on every node) and checks
// that each one is refused: the server's own node name, another node's
// IP, a cluster-wide flannel identity, another Node's annotations, the
// Secrets of the cluster, pod CIDRs of its own choosing, a serving
// certificate that passes as the apiserver, and the bootstrap data.
func TestJoinTokenCannotReachOtherNodes(t *testing.T) {
	h := newHost(t, "shoal-sec1", 89)
	dir := t.TempDir()
	t.Cleanup(func() { releaseNode(t, h, dir) })
	// --profile cis: kubelet's sysctls must already be set (kubelet sets
	// them itself without the profile, so any earlier test did too).
	for key, v := range map[string]string{"vm/overcommit_memory": "1", "vm/panic_on_oom": "0", "kernel/panic": "10",
		"kernel/panic_on_oops": "1", "kernel/keys/root_maxkeys": "1000000", "kernel/keys/root_maxbytes": "25000000"} {
		if err := os.WriteFile("/proc/sys/"+key, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := startServerIn(t, h.name, dir, 6443, "-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"), "--profile", "cis",
		"--node-name", h.name, h.cgroupRootArg(), "--disable", "metrics-server,ingress,local-storage,servicelb,coredns")
	s.waitLine("node "+h.name+" Ready", 3*time.Minute)
	bootstrap := strings.TrimSpace(h.shoal(t, "token", "create", "-d", dir, "--description", "attacker"))
	a := newAttacker(t, "https://"+h.ip+":6443", bootstrap)
	freeIP := "10.89.0.77"

	t.Run("the server's own node name is not for a token holder", func(t *testing.T) {
		code, _, body := a.nodeCerts(h.name, freeIP)
		if code != http.StatusForbidden || !strings.Contains(body, "this server's own node") {
			t.Errorf("node-certs for the server's node %s: %d %s; want 403, this server's own node", h.name, code, body)
		}
	})
	t.Run("another node's IP is not for a token holder", func(t *testing.T) {
		code, _, body := a.nodeCerts("mallory", h.ip)
		if code != http.StatusForbidden || !strings.Contains(body, "already bound to node "+h.name) {
			t.Errorf("node-certs with the server node's IP: %d %s; want 403, already bound", code, body)
		}
	})
	code, certs, body := a.nodeCerts("mallory", freeIP)
	if code != http.StatusOK {
		t.Fatalf("a new node under an unused name and IP: %d %s", code, body)
	}
	t.Run("no cluster-wide identity is handed out", func(t *testing.T) {
		if _, ok := certs["flannel"]; ok {
			t.Errorf("the server signed a flannel certificate (an identity that may patch every Node)")
		}
	})
	t.Run("the node identity writes no other Node", func(t *testing.T) {
		out, err := a.kubectl("kubelet-client", "", "annotate", "node", h.name, "upgrade.shoal.io/target=../../etc/x")
		if err == nil || !strings.Contains(strings.ToLower(out), "forbidden") {
			t.Errorf("annotating the server's node as mallory: %v %s; want forbidden", err, out)
		}
		ann := s.mustKubectl(33, "", "get", "node", h.name, "-o", "jsonpath={.metadata.annotations}")
		if strings.Contains(ann, "../../etc/x") {
			t.Errorf("the server's node carries the attacker's annotation: %s", ann)
		}
	})
	t.Run("the node identity gives no upgrade orders", func(t *testing.T) {
		// Orders live in a Plan's status, which only the controller writes;
		// nodes may read Plans to find theirs.
		s.mustKubectl(33, fmt.Sprintf(planTemplate, "nobody", "v9", "shoal-v9", strings.Repeat("ab", 32), "", "none: none"), "apply", "-f", "-")
		if out, err := a.kubectl("kubelet-client", "", "get", "plans"); err != nil {
			t.Errorf("reading Plans as mallory: %v %s", err, out)
		}
		order := `{"status":{"nodes":{"mallory":{"phase":"Cordoned","order":{"version":"v9","file":"shoal-v9","sha256":"` + strings.Repeat("ab", 32) + `"}}}}}`
		out, err := a.kubectl("kubelet-client", "", "patch", "plan", "nobody", "--subresource=status", "--type=merge", "-p", order)
		if err == nil || !strings.Contains(strings.ToLower(out), "forbidden") {
			t.Errorf("writing a Plan's status as mallory: %v %s; want forbidden", err, out)
		}
		out, err = a.kubectl("kubelet-client", fmt.Sprintf(planTemplate, "mine", "v9", "shoal-v9", strings.Repeat("ab", 32), "", ""), "create", "-f", "-")
		if err == nil || !strings.Contains(strings.ToLower(out), "forbidden") {
			t.Errorf("creating a Plan as mallory: %v %s; want forbidden", err, out)
		}
	})
	t.Run("the node identity reads no Secrets", func(t *testing.T) {
		out, err := a.kubectl("kubelet-client", "", "get", "secrets", "-n", "kube-system")
		if err == nil || !strings.Contains(strings.ToLower(out), "forbidden") {
			t.Errorf("listing kube-system Secrets as mallory: %v %s; want forbidden", err, out)
		}
	})
	t.Run("the node identity chooses no pod CIDR", func(t *testing.T) {
		podCIDR := strings.TrimSpace(s.mustKubectl(33, "", "get", "node", h.name, "-o", "jsonpath={.spec.podCIDR}"))
		node := fmt.Sprintf(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"mallory"},"spec":{"podCIDR":%q,"podCIDRs":[%q]}}`, podCIDR, podCIDR)
		out, err := a.kubectl("kubelet-client", node, "create", "-f", "-")
		if err == nil || !strings.Contains(out, "pod CIDRs") {
			t.Errorf("creating Node mallory with the server node's pod CIDR %s: %v %s; want the policy's refusal", podCIDR, err, out)
		}
	})
	t.Run("the serving certificate does not pass as the apiserver", func(t *testing.T) {
		chain, ok := certs["kubelet-serving"]
		if !ok {
			t.Fatal("no kubelet serving certificate")
		}
		block, _ := pem.Decode([]byte(chain))
		leaf, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		caPEM, _ := os.ReadFile(a.caFile)
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPEM)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots}); err == nil {
			t.Errorf("mallory's kubelet serving certificate (names %v %v) verifies against the CA agents trust for the apiserver", leaf.DNSNames, leaf.IPAddresses)
		}
	})
	t.Run("no bootstrap data", func(t *testing.T) {
		if code, body := a.do(http.MethodGet, "/v1-shoal/bootstrap", nil); code != http.StatusForbidden {
			t.Errorf("GET /v1-shoal/bootstrap with a bootstrap token: %d %.100s; want 403", code, body)
		}
		b, err := os.ReadFile(filepath.Join(dir, "server", "agent-token"))
		if err != nil {
			t.Fatal(err)
		}
		agent := newAttacker(t, a.url, strings.TrimSpace(string(b)))
		if code, body := agent.do(http.MethodGet, "/v1-shoal/bootstrap", nil); code != http.StatusForbidden {
			t.Errorf("GET /v1-shoal/bootstrap with the agent token: %d %.100s; want 403", code, body)
		}
		if code, _, body := agent.nodeCerts("agent-two", "10.89.0.78"); code != http.StatusOK {
			t.Errorf("the agent token does not join a node: %d %s", code, body)
		}
	})
	t.Run("a rotated server token opens nothing", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, "server", "token"))
		if err != nil {
			t.Fatal(err)
		}
		old := newAttacker(t, a.url, strings.TrimSpace(string(b)))
		if code, body := old.do(http.MethodGet, "/v1-shoal/bootstrap", nil); code != http.StatusOK {
			t.Fatalf("GET /v1-shoal/bootstrap with the server token: %d %.100s", code, body)
		}
		next := strings.TrimSpace(h.shoal(t, "token", "rotate", "-d", dir))
		code, body := old.do(http.MethodGet, "/v1-shoal/bootstrap", nil)
		if code != http.StatusUnauthorized || strings.Contains(string(body), old.cred) {
			t.Errorf("the old server token after rotate: %d %.100s; want 401 naming nothing", code, body)
		}
		if code, body := newAttacker(t, a.url, next).do(http.MethodGet, "/v1-shoal/bootstrap", nil); code != http.StatusOK {
			t.Errorf("the new server token: %d %.100s", code, body)
		}
		if out, err := h.exec(shoalBin(t), "token", "rotate", "-d", dir, "--new-token", "short"); err == nil || !strings.Contains(out, "at least 16 characters") {
			t.Errorf("a 5-character --new-token: %v %s; want refused", err, out)
		}
	})
	checkHardenedDefaults(t, s, a.url, dir)
}

// checkHardenedDefaults: a privileged pod is refused outside kube-system
// (PodSecurity baseline), weak TLS is refused, changes are audited.
func checkHardenedDefaults(t *testing.T, s *server, url, dir string) {
	t.Run("pod security baseline enforced", func(t *testing.T) {
		pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"root"},"spec":{"hostPID":true,"containers":[{"name":"c","image":"localhost/shoal-echo:v1","securityContext":{"privileged":true}}]}}`
		out, err := s.kubectl(33, pod, "create", "-f", "-")
		if err == nil || !strings.Contains(out, "violates PodSecurity \"baseline") {
			t.Errorf("a privileged hostPID pod in default: %v %s; want refused by PodSecurity baseline", err, out)
		}
	})
	t.Run("old TLS and CBC suites refused", func(t *testing.T) {
		host := strings.TrimPrefix(url, "https://")
		for _, c := range []*tls.Config{
			{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11},
			{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}},
		} {
			if conn, err := tls.Dial("tcp", host, c); err == nil {
				conn.Close()
				t.Errorf("handshake with max version %x suites %v accepted", c.MaxVersion, c.CipherSuites)
			}
		}
	})
	t.Run("--profile cis encrypts Secrets and protects kernel defaults", func(t *testing.T) {
		if out := secretsEncrypt(t, s.netns, dir, "status"); !strings.Contains(out, "Encryption Status: Enabled") {
			t.Errorf("secrets-encrypt status:\n%s", out)
		}
		node := strings.TrimSpace(s.mustKubectl(33, "", "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}"))
		if out := s.mustKubectl(33, "", "get", "--raw", "/api/v1/nodes/"+node+"/proxy/configz"); !strings.Contains(out, `"protectKernelDefaults":true`) {
			t.Errorf("kubelet's configz without protectKernelDefaults:\n%s", out)
		}
	})
	t.Run("changes audited", func(t *testing.T) {
		s.mustKubectl(33, "", "create", "configmap", "audited")
		eventually(t, 30*time.Second, "the ConfigMap's creation in the audit log", func() (bool, string) {
			b, _ := os.ReadFile(filepath.Join(dir, "server", "logs", "audit.log"))
			return bytes.Contains(b, []byte(`"resource":"configmaps","namespace":"default","name":"audited"`)), fmt.Sprintf("%d bytes", len(b))
		})
	})
}
