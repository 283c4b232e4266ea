package integration

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/shoal-dev/shoal/internal/pki"
)

const appManifest = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  colour: teal
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: shop
stringData:
  password: s3cr3t
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: localhost/shoal-echo:v1
        envFrom:
        - configMapRef: {name: settings}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`

// TestServerServesRealKubectl is the acceptance path on one data
// dir: config file + flags, two kubectl generations, auth, restart.
func TestServerServesRealKubectl(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfgFile := filepath.Join(dir, "config.yaml")
	kubeconfig := filepath.Join(dir, "kubeconfig.yaml")
	// The config file carries most settings; the command line overrides
	// one of them (the port) to prove flags win. With no node, the
	// metrics-server pod cannot run, and an unavailable aggregated API
	// keeps namespace deletion from finishing (upstream behaviour, also
	// K3s's): this control-plane-only server leaves metrics-server out.
	writeFile(t, cfgFile, fmt.Sprintf("data-dir: %s\nhttps-listen-port: 1\nwrite-kubeconfig: %s\ndisable-agent: true\ntls-san: [shoal.example]\ndisable: [metrics-server]\n", dir, kubeconfig))
	args := []string{"--config", cfgFile, "--https-listen-port", fmt.Sprint(port)}
	s := startServer(t, dir, port, args...)
	s.waitReady(2 * time.Minute)
	for _, stage := range []string{"certificates ready", "datastore ready", "kube-apiserver ready", "kube-controller-manager ready", "kubeconfig written to " + kubeconfig} {
		if !strings.Contains(s.out.String(), stage) {
			t.Errorf("start-up output lacks %q:\n%s", stage, s.out.String())
		}
	}
	assertMode(t, kubeconfig, 0o600)
	assertMode(t, filepath.Join(dir, "server", "tls", "client-ca.key"), 0o600)
	assertMode(t, filepath.Join(dir, "server", "tls", "service.key"), 0o600)

	for _, minor := range []int{33, 27} {
		t.Run(fmt.Sprintf("kubectl-1.%d", minor), func(t *testing.T) {
			exerciseKubectl(t, s, minor)
		})
	}
	t.Run("anonymous", func(t *testing.T) { checkAnonymous(t, kubeconfig) })
	t.Run("server-version", func(t *testing.T) {
		// The version strings are set at link time; v0.0.0-master means the
		// Makefile's -X flags were lost.
		out := s.mustKubectl(33, "", "get", "--raw", "/version")
		if !strings.Contains(out, `"gitVersion": "v1.37.`) {
			t.Fatalf("server gitVersion = %q", out)
		}
	})
	t.Run("embedded-kubectl", func(t *testing.T) {
		out, err := exec.Command(shoalBin(t), "kubectl", "--kubeconfig", kubeconfig, "get", "ns", "default", "-o", "name").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "namespace/default" {
			t.Fatalf("shoal kubectl: %v %s", err, out)
		}
	})

	// Restart on the same data dir keeps objects and certificates.
	s.mustKubectl(33, "", "create", "configmap", "survivor", "--from-literal=k=v")
	serving := readFile(t, filepath.Join(dir, "server", "tls", "serving-kube-apiserver.crt"))
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatalf("SIGTERM: shoal did not exit cleanly: %v\n%s", err, s.out.String())
	}
	if !strings.Contains(s.out.String(), "datastore stopped") {
		t.Errorf("shutdown did not stop the datastore:\n%s", s.out.String())
	}
	s2 := startServer(t, dir, port, args...)
	s2.waitReady(2 * time.Minute)
	if !strings.Contains(s2.out.String(), "(0 issued, the rest reused)") {
		t.Errorf("restart re-issued certificates:\n%s", s2.out.String())
	}
	if got := readFile(t, filepath.Join(dir, "server", "tls", "serving-kube-apiserver.crt")); !bytes.Equal(got, serving) {
		t.Error("serving certificate changed across a restart")
	}
	if out := s2.mustKubectl(33, "", "get", "configmap", "survivor", "-o", "jsonpath={.data.k}"); out != "v" {
		t.Fatalf("configmap after restart: %q", out)
	}
}

func exerciseKubectl(t *testing.T, s *server, minor int) {
	if out := s.mustKubectl(minor, "", "get", "--raw", "/readyz"); strings.TrimSpace(out) != "ok" {
		t.Fatalf("/readyz = %q", out)
	}
	ns := fmt.Sprintf("ns-%d", minor)
	s.mustKubectl(minor, "", "create", "namespace", ns)
	if out := s.mustKubectl(minor, "", "get", "namespace", ns, "-o", "jsonpath={.status.phase}"); out != "Active" {
		t.Fatalf("namespace phase %q", out)
	}
	s.mustKubectl(minor, "", "delete", "namespace", ns, "--wait=true", "--timeout=60s")
	eventually(t, 60*time.Second, "namespace gone", func() (bool, string) {
		out, err := s.kubectl(minor, "", "get", "namespace", ns)
		return err != nil && strings.Contains(out, "NotFound"), out
	})

	s.mustKubectl(minor, appManifest, "apply", "-f", "-")
	y := s.mustKubectl(minor, "", "get", "-n", "shop", "deployment/web", "service/web", "configmap/settings", "secret/creds", "-o", "yaml")
	for _, want := range []string{"kind: Deployment", "image: localhost/shoal-echo:v1", "kind: Service", "clusterIP: 10.43.", "colour: teal", "kind: Secret", "password: czNjcjN0"} {
		if !strings.Contains(y, want) {
			t.Errorf("get -o yaml lacks %q", want)
		}
	}
	// The controller manager is running: the Deployment gets a ReplicaSet
	// and its pods (Pending: there is no node yet).
	eventually(t, 60*time.Second, "deployment's pods created", func() (bool, string) {
		out, _ := s.kubectl(minor, "", "get", "pods", "-n", "shop", "-l", "app=web", "-o", "name")
		return strings.Count(out, "pod/") == 2, out
	})
	s.mustKubectl(minor, appManifest, "delete", "-f", "-", "--wait=true", "--timeout=60s")
	eventually(t, 60*time.Second, "manifest objects gone", func() (bool, string) {
		out, err := s.kubectl(minor, "", "get", "namespace", "shop")
		return err != nil && strings.Contains(out, "NotFound"), out
	})
}

// checkAnonymous: without a credential only the health endpoints answer.
func checkAnonymous(t *testing.T, kubeconfig string) {
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cluster := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cluster.CertificateAuthorityData) {
		t.Fatal("kubeconfig has no CA")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for path, want := range map[string]int{
		"/readyz":            200,
		"/livez":             200,
		"/api/v1/namespaces": 401,
		"/api/v1/secrets":    401,
		"/version":           401,
		"/apis":              401,
	} {
		resp, err := client.Get(cluster.Server + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("anonymous GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestBadConfigStopsStartup: a malformed or wrong config file is a one-line
// error naming the file and key, and nothing is written to disk.
func TestBadConfigStopsStartup(t *testing.T) {
	cases := []struct {
		name, content, want string
	}{
		{"malformed", "https-listen-port: [1\n", "not a YAML map"},
		{"unknown key", "https-port: 7443\n", `key "https-port": unknown key`},
		{"bad value", "https-listen-port: many\n", `key "https-listen-port": invalid value "many"`},
		{"bad cidr", "cluster-cidr: 10.42.0.0\n", "--cluster-cidr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			dataDir := filepath.Join(dir, "data")
			kubeconfig := filepath.Join(dir, "kc.yaml")
			cfgFile := filepath.Join(dir, "config.yaml")
			writeFile(t, cfgFile, c.content)
			cmd := exec.Command(shoalBin(t), "server", "--config", cfgFile, "--data-dir", dataDir,
				"--write-kubeconfig", kubeconfig, "--disable-agent", "--advertise-address", "192.0.2.1")
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("shoal server started with a bad config:\n%s", out)
			}
			msg := strings.TrimSpace(string(out))
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, c.want) {
				t.Fatalf("want one line containing %q, got:\n%s", c.want, msg)
			}
			if c.name != "bad cidr" && !strings.Contains(msg, cfgFile) {
				t.Fatalf("error does not name the file %s: %s", cfgFile, msg)
			}
			for _, p := range []string{dataDir, kubeconfig} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Fatalf("%s was created despite the bad config", p)
				}
			}
		})
	}
}

// TestPortInUseFailsClearly: a busy port ends start-up with an error that
// names the flag, and the process exits non-zero.
func TestPortInUseFailsClearly(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	l := occupy(t, port)
	defer l.Close()
	s := startServer(t, dir, port, "--data-dir", dir, "--https-listen-port", fmt.Sprint(port),
		"--write-kubeconfig", filepath.Join(dir, "kc.yaml"), "--disable-agent")
	select {
	case <-s.exited:
	case <-time.After(2 * time.Minute):
		t.Fatal("shoal kept running on a busy port")
	}
	if s.exitErr == nil {
		t.Fatal("exit status 0 on a busy port")
	}
	last := strings.TrimSpace(tail(s.errOut.String(), 1))
	if !strings.Contains(last, "--https-listen-port") || !strings.Contains(last, "address already in use") {
		t.Fatalf("last line should name the flag and the busy address, got: %s", last)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Errorf("%s: mode %o, want %o", path, st.Mode().Perm(), want)
	}
}

// TestKill9KeepsAcknowledgedObjects: a server killed with SIGKILL while a
// client writes 1,000 ConfigMaps restarts on the same data dir with every
// object it acknowledged.
func TestKill9KeepsAcknowledgedObjects(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	args := []string{"--data-dir", dir, "--https-listen-port", fmt.Sprint(port),
		"--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"), "--disable-agent"}
	s := startServer(t, dir, port, args...)
	s.waitReady(2 * time.Minute)
	cs := clientFor(t, s, "")
	w := writeConfigMaps(t, cs, "acked", 1000)
	select {
	case <-w.after(300):
	case <-time.After(3 * time.Minute):
		t.Fatal("300 writes not acknowledged")
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	// Meanwhile the serving certificate got within 90 days of expiry: the
	// restart renews it.
	serving := filepath.Join(dir, "server", "tls", "serving-kube-apiserver")
	ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "server", "tls", "server-ca.crt"), filepath.Join(dir, "server", "tls", "server-ca.key"), "unused")
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-pki.LeafValidity + 30*24*time.Hour)
	cur, err := pki.LoadCert(serving + ".crt")
	if err != nil || os.Remove(serving+".crt") != nil {
		t.Fatal(err)
	}
	if _, err := pki.EnsureLeaf(ca, pki.Leaf{CommonName: "kube-apiserver", DNSNames: cur.DNSNames, IPs: cur.IPAddresses, Server: true},
		serving+".crt", serving+".key", old); err != nil {
		t.Fatal(err)
	}
	s2 := startServer(t, dir, port, args...)
	s2.waitReady(2 * time.Minute)
	if renewed, err := pki.LoadCert(serving + ".crt"); err != nil || renewed.NotAfter.Before(time.Now().Add(300*24*time.Hour)) {
		t.Errorf("a serving certificate expiring in 30 days was not renewed at start: %v %v", renewed.NotAfter, err)
	}
	acked := w.wait(t)
	if len(acked) < 300 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	if lost := missing(t, cs, "acked", acked); len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost after kill -9: %v", len(lost), lost)
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(shoalBin(t), args...).Output()
		if err != nil || !strings.HasPrefix(string(out), "shoal ") || !strings.Contains(string(out), "kubernetes v1.37.") {
			t.Errorf("shoal %v: %v %q", args, err, out)
		}
	}
}
