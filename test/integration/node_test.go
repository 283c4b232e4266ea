package integration

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const echoManifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: echo
        image: localhost/shoal-echo:v1
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-np}
spec:
  type: NodePort
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
`

// imagesDir is where `make images` puts the air-gap tarballs.
func imagesDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("SHOAL_IMAGES")
	if d == "" {
		d, _ = filepath.Abs("../../dist/images")
	}
	if _, err := os.Stat(filepath.Join(d, "shoal-echo-v1.tar")); err != nil {
		t.Fatalf("air-gap images missing in %s (run make images): %v", d, err)
	}
	return d
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// startNode runs `shoal server` with its local node inside h, its images
// preloaded from the air-gap directory, and waits for the node Ready line.
func startNode(t *testing.T, h *host, dir string) *server {
	t.Helper()
	s := startServerIn(t, h.name, dir, 6443, "-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"),
		"--node-name", h.name, h.cgroupRootArg())
	s.waitLine("node "+h.name+" Ready", 3*time.Minute)
	return s
}

// TestNodeRunsRealWorkloads is the node acceptance: a Deployment of the
// echo app served through ClusterIP and NodePort, scaled, rolled out with
// no failed request, rolled back, logs/exec/port-forward, a container
// removed by hand comes back, and a server restart keeps the pods.
func TestNodeRunsRealWorkloads(t *testing.T) {
	h := newHost(t, "shoal-n1", 91)
	dir := t.TempDir()
	t.Cleanup(func() { releaseNode(t, h, dir) })
	images := imagesDir(t)
	for _, f := range []string{"shoal-echo-v1.tar", "shoal-echo-v2.tar"} {
		copyFile(t, filepath.Join(images, f), filepath.Join(dir, "agent", "images", f))
	}
	hostNetns := netnsNames()
	s := startNode(t, h, dir)
	if !strings.Contains(s.out.String(), "imported localhost/shoal-echo:v1") {
		t.Errorf("air-gap import not reported:\n%s", s.out.String())
	}
	wide := s.mustKubectl(33, "", "get", "nodes", "-o", "wide")
	if !strings.Contains(wide, h.ip) || !strings.Contains(wide, "containerd://2.") || !strings.Contains(wide, " Ready ") {
		t.Fatalf("get nodes -o wide:\n%s", wide)
	}

	s.mustKubectl(33, echoManifest, "apply", "-f", "-")
	s.mustKubectl(33, "", "rollout", "status", "deploy/echo", "--timeout=120s")
	clusterIP := strings.TrimSpace(s.mustKubectl(33, "", "get", "svc", "echo", "-o", "jsonpath={.spec.clusterIP}"))
	s.mustKubectl(33, "", "scale", "deploy/echo", "--replicas=6")
	s.mustKubectl(33, "", "rollout", "status", "deploy/echo", "--timeout=120s")
	running := s.mustKubectl(33, "", "get", "pods", "-l", "app=echo", "--field-selector=status.phase=Running", "-o", "name")
	if n := len(strings.Fields(running)); n != 6 {
		t.Fatalf("%d pods Running after scale to 6:\n%s", n, running)
	}
	for n := range netnsNames() {
		if !hostNetns[n] {
			t.Errorf("pod network namespace %s mounted in the host-wide /var/run/netns", n)
		}
	}
	// kube-proxy programs the new endpoints shortly after the rollout
	// (its sync period): every request must succeed, and the Service must
	// come to spread over the scaled-up pods.
	pods := map[string]int{}
	eventually(t, 30*time.Second, "requests to the ClusterIP reach >= 4 distinct pods", func() (bool, string) {
		for i := 0; i < 25; i++ {
			out, err := h.exec("curl", "-sS", "-m", "3", "http://"+clusterIP+"/")
			if err != nil {
				t.Fatalf("request %d to ClusterIP %s: %v %s", i, clusterIP, err, out)
			}
			pods[strings.TrimSpace(out)]++
		}
		return len(pods) >= 4, fmt.Sprint(pods)
	})

	nodePort := strings.TrimSpace(s.mustKubectl(33, "", "get", "svc", "echo-np", "-o", "jsonpath={.spec.ports[0].nodePort}"))
	url := fmt.Sprintf("http://%s:%s/", h.ip, nodePort)
	if body := get(t, url); !strings.HasPrefix(body, "shoal-echo v1 echo-") {
		t.Fatalf("NodePort answered %q", body)
	}

	checkRollout(t, s, url)
	checkKubectlStreams(t, s, h)
	checkContainerRemovedByHand(t, s, dir)
	checkRestartKeepsPods(t, s, h, dir, url)

	s.mustKubectl(33, "", "delete", "deploy/echo", "--wait=true")
	eventually(t, 60*time.Second, "echo pods gone", func() (bool, string) {
		out, _ := s.kubectl(33, "", "get", "pods", "-l", "app=echo", "-o", "name")
		return strings.TrimSpace(out) == "", out
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	body, err := fetch(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return body
}

// fetch is one GET with a short timeout; the body, or why there is none.
func fetch(url string) (string, error) {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// checkRollout sets image v2 while a loop of requests runs through the
// NodePort: with maxUnavailable 0 and a draining app, none may fail.
func checkRollout(t *testing.T, s *server, url string) {
	var ok, failed atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := c.Get(url)
			if err == nil && resp.StatusCode == 200 {
				ok.Add(1)
			} else {
				failed.Add(1)
				lastErr.Store(fmt.Sprint(err, resp))
			}
			if resp != nil {
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	s.mustKubectl(33, "", "set", "image", "deploy/echo", "echo=localhost/shoal-echo:v2")
	s.mustKubectl(33, "", "rollout", "status", "deploy/echo", "--timeout=180s")
	close(stop)
	wg.Wait()
	t.Logf("rollout to v2: %d requests ok, %d failed", ok.Load(), failed.Load())
	if failed.Load() > 0 || ok.Load() < 20 {
		t.Errorf("rollout: %d ok, %d failed (last: %v)", ok.Load(), failed.Load(), lastErr.Load())
	}
	// Old pods drain for a few seconds after the rollout is complete.
	eventually(t, 30*time.Second, "only v2 answers after the rollout", func() (bool, string) {
		body, err := fetch(url)
		return err == nil && strings.HasPrefix(body, "shoal-echo v2 "), fmt.Sprint(body, err)
	})
	s.mustKubectl(33, "", "rollout", "undo", "deploy/echo")
	s.mustKubectl(33, "", "rollout", "status", "deploy/echo", "--timeout=180s")
	eventually(t, 30*time.Second, "v1 answers after rollout undo", func() (bool, string) {
		body, err := fetch(url)
		return err == nil && strings.HasPrefix(body, "shoal-echo v1 "), fmt.Sprint(body, err)
	})
}

func checkKubectlStreams(t *testing.T, s *server, h *host) {
	if out := s.mustKubectl(33, "", "logs", "deploy/echo"); !strings.Contains(out, "listening on :8080") {
		t.Errorf("kubectl logs: %q", out)
	}
	if out := s.mustKubectl(33, "", "exec", "deploy/echo", "--", "/shoal-echo", "-version"); !strings.Contains(out, "v1") {
		t.Errorf("kubectl exec: %q", out)
	}
	pf := exec.Command("nsenter", "--net=/var/run/netns/"+h.name, kubectlPath(t, 33), "--kubeconfig", s.kubeconfig,
		"port-forward", "svc/echo", "18080:80")
	if err := pf.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = pf.Process.Kill(); _ = pf.Wait() }()
	eventually(t, 20*time.Second, "port-forward answers", func() (bool, string) {
		out, err := h.exec("curl", "-sS", "-m", "2", "http://127.0.0.1:18080/")
		return err == nil && strings.HasPrefix(out, "shoal-echo v1 "), out
	})
}

// crictl runs `shoal crictl` against the node's containerd.
func crictl(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return shoalIn(t, dir, append([]string{"crictl"}, args...)...)
}

func checkContainerRemovedByHand(t *testing.T, s *server, dir string) {
	var names []string
	eventually(t, 60*time.Second, "the rolled-back pods alone remain", func() (bool, string) {
		out, _ := s.kubectl(33, "", "get", "pods", "-l", "app=echo", "-o", "name")
		names = strings.Fields(out)
		return len(names) == 6, out
	})
	pod := strings.TrimPrefix(names[0], "pod/")
	var id string
	for _, line := range strings.Split(crictl(t, dir, "ps"), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasSuffix(line, pod) {
			id = f[0]
		}
	}
	if id == "" {
		t.Fatalf("crictl ps shows no container of %s", pod)
	}
	if out := crictl(t, dir, "logs", id); !strings.Contains(out, "listening on :8080") {
		t.Errorf("crictl logs %s: %q", id, out)
	}
	crictl(t, dir, "rm", "-f", id)
	eventually(t, 60*time.Second, "container of "+pod+" restarted", func() (bool, string) {
		out, _ := s.kubectl(33, "", "get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].ready}")
		return strings.TrimSpace(out) == "1 true", out
	})
	if out := crictl(t, dir, "pods"); !strings.Contains(out, pod) {
		t.Errorf("crictl pods does not list %s:\n%s", pod, out)
	}
	if out := crictl(t, dir, "images"); !strings.Contains(out, "localhost/shoal-echo") || !strings.Contains(out, "registry.k8s.io/pause") {
		t.Errorf("crictl images:\n%s", out)
	}
}

// checkRestartKeepsPods stops shoal (the pods keep serving meanwhile) and
// starts it again: same containers, node Ready again.
func checkRestartKeepsPods(t *testing.T, s *server, h *host, dir, url string) {
	before := s.mustKubectl(33, "", "get", "pods", "-l", "app=echo", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.containerStatuses[0].containerID} {end}")
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if body := get(t, url); !strings.HasPrefix(body, "shoal-echo v1 ") {
		t.Errorf("with shoal stopped the pods answer %q", body)
	}
	s2 := startNode(t, h, dir)
	*s = *s2
	if strings.Contains(s.out.String(), "imported ") {
		t.Errorf("unchanged air-gap tarballs imported again:\n%s", s.out.String())
	}
	after := s.mustKubectl(33, "", "get", "pods", "-l", "app=echo", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.containerStatuses[0].containerID} {end}")
	if before != after {
		t.Errorf("containers changed across a restart:\nbefore %s\nafter  %s", before, after)
	}
}

// netnsNames lists /var/run/netns.
func netnsNames() map[string]bool {
	out := map[string]bool{}
	entries, _ := os.ReadDir("/var/run/netns")
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}
