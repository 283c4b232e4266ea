package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitWork is a working copy that pushes to a bare repository.
type gitWork struct {
	t   *testing.T
	dir string
}

func (g *gitWork) git(args ...string) string {
	g.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=shoal-test", "-c", "user.email=test@shoal.invalid", "-C", g.dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		g.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (content "" removes one), commits and pushes; it
// returns the commit.
func (g *gitWork) commit(msg string, files map[string]string) string {
	g.t.Helper()
	for name, content := range files {
		p := filepath.Join(g.dir, name)
		if content == "" {
			g.git("rm", "-q", name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			g.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			g.t.Fatal(err)
		}
		g.git("add", name)
	}
	g.git("commit", "-q", "-m", msg)
	g.git("push", "-q", "origin", "master")
	return g.git("rev-parse", "HEAD")
}

func configMap(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: default}\ndata: {value: %q}\n", name, value)
}

const gitRepoTemplate = `apiVersion: fleet.shoal.io/v1
kind: GitRepo
metadata: {name: %s, namespace: default}
spec:
  repo: %s
  paths: [%s]
  pollingInterval: 2s
  targets: %s
`

// TestGitOps: two clusters with different labels pull one repository
// (served by git daemon on loopback) and apply different subsets of one
// commit; a new commit rolls out within the polling interval, a removed
// file prunes its objects (and nothing else), a broken commit leaves the
// last good state applied and the status names the file.
func TestGitOps(t *testing.T) {
	base := t.TempDir()
	bare := filepath.Join(base, "fleet.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "master", bare).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	w := &gitWork{t: t, dir: filepath.Join(t.TempDir(), "work")}
	if out, err := exec.Command("git", "clone", "-q", bare, w.dir).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v %s", err, out)
	}
	w.git("checkout", "-q", "-b", "master")
	w.commit("first", map[string]string{
		"common/cm.yaml": configMap("common", "1"),
		"edge/app.yaml":  configMap("edge-app", "v1") + "---\n" + configMap("edge-extra", "x"),
		"lab/app.yaml":   configMap("lab-app", "v1"),
		"README.md":      "not a manifest\n",
		// A chart and a kustomization, shaped per target.
		"shaped/chart/Chart.yaml":             "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"shaped/chart/values.yaml":            "size: small\n",
		"shaped/chart/templates/cm.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 'chart-{{ .Values.size }}', namespace: shaped}\n",
		"shaped/kust/kustomization.yaml":      "resources: [base]\n",
		"shaped/kust/base/kustomization.yaml": "resources: [ns.yaml, cm.yaml]\n",
		"shaped/kust/base/ns.yaml":            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shaped}\n",
		"shaped/kust/base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: k, namespace: shaped}\n",
		"shaped/kust/edge/kustomization.yaml": "resources: [../base]\nnamePrefix: edge-\n",
	})
	gitPort := freePort(t)
	daemon := exec.Command("git", "daemon", "--reuseaddr", "--listen=127.0.0.1", fmt.Sprintf("--port=%d", gitPort),
		"--base-path="+base, "--export-all", base)
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = daemon.Process.Kill(); _ = daemon.Wait() })
	eventually(t, 10*time.Second, "git daemon listens", func() (bool, string) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", gitPort))
		if err == nil {
			c.Close()
		}
		return err == nil, fmt.Sprint(err)
	})
	repo := fmt.Sprintf("git://127.0.0.1:%d/fleet.git", gitPort)

	// Two clusters side by side on this host (their controller-manager
	// and scheduler need ports of their own).
	start := func(label string, extra ...string) *server {
		dir, port := t.TempDir(), freePort(t)
		args := append([]string{"-d", dir, "--https-listen-port", fmt.Sprint(port), "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"),
			"--disable-agent", "--disable", "metrics-server,coredns,servicelb,local-storage,ingress", "--cluster-label", label}, extra...)
		s := startServer(t, dir, port, args...)
		s.waitReady(2 * time.Minute)
		return s
	}
	edge := start("env=edge")
	lab := start("env=lab", "--kube-controller-manager-arg", "secure-port=10357", "--kube-scheduler-arg", "secure-port=10359")
	edge.mustKubectl(33, configMap("hand-made", "mine"), "apply", "-f", "-")
	repos := fmt.Sprintf(gitRepoTemplate, "common", repo, "common", "[]") + "---\n" +
		fmt.Sprintf(gitRepoTemplate, "edge", repo, "edge", "[{name: edge, clusterSelector: {matchLabels: {env: edge}}}]") + "---\n" +
		fmt.Sprintf(gitRepoTemplate, "lab", repo, "lab", "[{name: lab, clusterSelector: {matchLabels: {env: lab}}}]")
	repos += "---\n" + fmt.Sprintf(gitRepoTemplate, "shaped", repo, "shaped/kust, shaped/chart",
		"[{name: edge, clusterSelector: {matchLabels: {env: edge}}, helm: {values: {size: large}}, kustomize: {dir: edge}}, {name: others}]")
	for _, s := range []*server{edge, lab} {
		s.mustKubectl(33, repos, "apply", "-f", "-")
	}
	values := func(s *server) string {
		out, _ := s.kubectl(33, "", "get", "configmaps", "-o", `jsonpath={range .items[*]}{.metadata.name}={.data.value} {end}`)
		return strings.TrimSpace(strings.ReplaceAll(out, "kube-root-ca.crt= ", ""))
	}
	eventually(t, time.Minute, "each cluster applies its subset", func() (bool, string) {
		e, l := values(edge), values(lab)
		return e == "common=1 edge-app=v1 edge-extra=x hand-made=mine" && l == "common=1 lab-app=v1", "edge: " + e + " | lab: " + l
	})
	shaped := func(s *server) string {
		out, _ := s.kubectl(33, "", "get", "configmaps", "-n", "shaped", "-o", `jsonpath={range .items[*]}{.metadata.name} {end}`)
		return strings.TrimSpace(strings.ReplaceAll(out, "kube-root-ca.crt", ""))
	}
	eventually(t, time.Minute, "the chart and the kustomization are shaped per target", func() (bool, string) {
		e, l := shaped(edge), shaped(lab)
		return e == "chart-large edge-k" && l == "chart-small k", "edge: " + e + " | lab: " + l
	})
	if out := lab.mustKubectl(33, "", "get", "gitrepo", "edge", "-o", "jsonpath={.status.phase}"); out != "NotTargeted" {
		t.Errorf("lab's GitRepo edge is %q, want NotTargeted", out)
	}

	// A new commit: a changed object, one removed from a file, a new file.
	pushed := time.Now()
	c2 := w.commit("second", map[string]string{"edge/app.yaml": configMap("edge-app", "v2"), "edge/more.yaml": configMap("edge-more", "m")})
	eventually(t, time.Minute, "the second commit rolls out", func() (bool, string) {
		e := values(edge)
		return e == "common=1 edge-app=v2 edge-more=m hand-made=mine", e
	})
	t.Logf("commit %s: pushed → applied in %s (polling interval 2s)", c2[:12], time.Since(pushed).Round(100*time.Millisecond))
	// The status is written after the objects are applied: wait for it.
	eventually(t, 30*time.Second, "status.commit is the second commit", func() (bool, string) {
		out, _ := edge.kubectl(33, "", "get", "gitrepo", "edge", "-o", "jsonpath={.status.commit}")
		return out == c2, out
	})

	// A deleted file prunes its objects, on both clusters.
	c3 := w.commit("third", map[string]string{"common/cm.yaml": "", "edge/more.yaml": ""})
	eventually(t, time.Minute, "deleted files are pruned", func() (bool, string) {
		e, l := values(edge), values(lab)
		return e == "edge-app=v2 hand-made=mine" && l == "lab-app=v1", "edge: " + e + " | lab: " + l
	})

	// Broken commits: invalid YAML, then an object the apiserver rejects
	// next to a valid change. Neither applies anything.
	bad := w.commit("broken yaml", map[string]string{"edge/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: edge-app\n"})
	eventually(t, time.Minute, "the broken commit is reported", func() (bool, string) {
		out, _ := edge.kubectl(33, "", "get", "gitrepo", "edge", "-o", "jsonpath={.status.phase} {.status.failedCommit} {.status.error}")
		return strings.HasPrefix(out, "Error "+bad+" edge/app.yaml: ") && strings.Contains(out, "line"), out
	})
	rejected := w.commit("rejected object", map[string]string{"edge/app.yaml": configMap("edge-app", "v3"), "edge/bad.yaml": configMap("Bad_Name", "x")})
	eventually(t, time.Minute, "the rejected object is reported", func() (bool, string) {
		out, _ := edge.kubectl(33, "", "get", "gitrepo", "edge", "-o", "jsonpath={.status.phase} {.status.failedCommit} {.status.error}")
		return strings.HasPrefix(out, "Error "+rejected+" edge/bad.yaml: ConfigMap Bad_Name: "), out
	})
	if e := values(edge); e != "edge-app=v2 hand-made=mine" {
		t.Errorf("after the broken commits the edge cluster has %q, want the last good state", e)
	}
	if out := edge.mustKubectl(33, "", "get", "gitrepo", "edge", "-o", "jsonpath={.status.commit}"); out != c3 {
		t.Errorf("after the broken commits status.commit is %q, want the last good one %s", out, c3)
	}
	out, err := exec.Command(shoalBin(t), "gitops", "status", "-d", edge.dataDir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "edge/bad.yaml") || !strings.Contains(string(out), c3[:12]) {
		t.Errorf("shoal gitops status: %v\n%s", err, out)
	}
	t.Logf("shoal gitops status:\n%s", out)
}
