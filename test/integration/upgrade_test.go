package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shoal-dev/shoal/internal/ociimage"
)

// nextBin is the same shoal linked with the next version string.
func nextBin(t *testing.T) (path, version string) {
	t.Helper()
	path = os.Getenv("SHOAL_NEXT_BIN")
	if path == "" {
		t.Skip("SHOAL_NEXT_BIN not set (make build-next)")
	}
	out, err := exec.Command(path, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("version: %q", out)
	}
	return path, f[1]
}

// offer copies a binary into the server's upgrades directory and returns
// its sha256.
func offer(t *testing.T, serverDir, from, name string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(serverDir, "server", "upgrades", name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

const planTemplate = `apiVersion: upgrade.shoal.io/v1
kind: Plan
metadata: {name: %s}
spec:
  version: %s
  binary: {file: %s, sha256: %s%s}
  concurrency: 1
  deadlineSeconds: 120
  nodeSelector: {matchLabels: {%s}}
`

type nodeView struct {
	Items []struct {
		Metadata struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			Unschedulable bool `json:"unschedulable"`
		} `json:"spec"`
	} `json:"items"`
}

// TestUpgradePlan: a server and two agents, each running its own copy of
// shoal, upgrade to the next version with a Plan (concurrency 1): never
// more than one node cordoned, a request loop against a 3-replica Service
// never fails, every node ends on the new version. Then a Plan to a binary
// that exits at start rolls back on the first agent, reports the failure,
// and leaves the other agent alone.
func TestUpgradePlan(t *testing.T) {
	next, nextVersion := nextBin(t)
	l := newLAN(t, "shoal-u", 90)
	sh := l.host(t, "shoal-us", 2)
	dir := t.TempDir()
	t.Cleanup(func() { releaseNode(t, sh, dir) })
	copyFile(t, filepath.Join(imagesDir(t), "shoal-echo-v1.tar"), filepath.Join(dir, "agent", "images", "shoal-echo-v1.tar"))
	ownCopy := func(d string) string {
		bin := filepath.Join(d, "bin-shoal")
		copyFile(t, shoalBin(t), bin)
		if err := os.Chmod(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		return bin
	}
	s := startBinIn(t, ownCopy(dir), sh.name, "server", dir, 6443, "-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"),
		"--node-name", sh.name, sh.cgroupRootArg(), "--disable", "metrics-server,ingress,local-storage,coredns")
	s.waitLine("node "+sh.name+" Ready", 3*time.Minute)
	tok, err := os.ReadFile(filepath.Join(dir, "server", "token"))
	if err != nil {
		t.Fatal(err)
	}
	var agents []*joiner
	var agentProcs []*server
	for i, name := range []string{"shoal-ua1", "shoal-ua2"} {
		a := newJoiner(t, l, name, 3+i)
		ag := startBinIn(t, ownCopy(a.dir), a.h.name, "agent", a.dir, 0, "-d", a.dir, "--server", "https://"+sh.ip+":6443",
			"--token", strings.TrimSpace(string(tok)), "--node-name", a.h.name, a.h.cgroupRootArg(), "--node-label", "tier=edge")
		ag.waitLine("node "+a.h.name+" Ready", 3*time.Minute)
		agents = append(agents, a)
		agentProcs = append(agentProcs, ag)
	}
	s.mustKubectl(33, strings.Replace(spreadDeployment, "replicas: 6", "replicas: 3", 1), "apply", "-f", "-")
	s.mustKubectl(33, "", "rollout", "status", "deploy/spread", "--timeout=180s")
	ip := strings.TrimSpace(s.mustKubectl(33, "", "get", "svc", "spread", "-o", "jsonpath={.spec.clusterIP}"))

	// The request loop runs on the server's host, through kube-proxy's
	// rules, from the moment they route the new Service (its first sync
	// may come after the rollout: a request before it is refused).
	eventually(t, time.Minute, "the Service answers on the server's host", func() (bool, string) {
		out, err := sh.exec(echoBin(t), "-get", "http://"+ip+"/")
		return err == nil, out
	})
	history := watchReadiness(t, clientFor(t, s, sh.ip+":6443"), "spread")
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if out, err := sh.exec(echoBin(t), "-get", "http://"+ip+"/"); err != nil {
				if failed.Add(1) <= 5 {
					t.Logf("request failed at %s: %v %s", time.Now().Format("15:04:05.000"), err, strings.TrimSpace(out))
				}
			} else {
				ok.Add(1)
			}
			time.Sleep(200 * time.Millisecond) // request pacing
		}
	}()

	// The new version comes as an image (the air-gap format) holding shoal.
	nextImage := filepath.Join(t.TempDir(), "shoal-next.tar")
	if _, err := ociimage.Write(ociimage.Spec{Ref: "localhost/shoal:next", Files: map[string]string{"/bin/shoal": next}}, nextImage); err != nil {
		t.Fatal(err)
	}
	sum := offer(t, dir, nextImage, "shoal-next.tar")
	s.mustKubectl(33, fmt.Sprintf(planTemplate, "to-next", nextVersion, "shoal-next.tar", sum, ", path: /bin/shoal", ""), "apply", "-f", "-")
	maxCordoned := 0
	eventually(t, 8*time.Minute, "the plan to "+nextVersion+" completes", func() (bool, string) {
		if out, err := s.kubectl(33, "", "get", "nodes", "-o", "json"); err == nil {
			var nv nodeView
			if json.Unmarshal([]byte(out), &nv) == nil {
				cordoned := 0
				for _, n := range nv.Items {
					if n.Spec.Unschedulable {
						cordoned++
					}
				}
				maxCordoned = max(maxCordoned, cordoned)
			}
		}
		out, _ := s.kubectl(33, "", "get", "plan", "to-next", "-o", "jsonpath={.status.phase} {.status.complete}/{.status.total} {.status.reason}")
		return strings.HasPrefix(out, "Complete 3/3"), out
	})
	close(stop)
	<-loopDone
	if failed.Load() > 0 {
		t.Logf("readiness of the Service's endpoints and pods during the upgrade:\n%s", history)
	}
	t.Logf("requests during the upgrade: %d ok, %d failed; at most %d node(s) cordoned at once", ok.Load(), failed.Load(), maxCordoned)
	if failed.Load() > 0 || ok.Load() == 0 {
		t.Errorf("the Service failed %d of %d requests during the upgrade", failed.Load(), ok.Load()+failed.Load())
	}
	if maxCordoned > 1 {
		t.Errorf("%d nodes were cordoned at once with concurrency 1", maxCordoned)
	}
	out := s.mustKubectl(33, "", "get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name}={.metadata.annotations.upgrade\.shoal\.io/version} {.spec.unschedulable}{"\n"}{end}`)
	if strings.Count(out, "="+nextVersion) != 3 || strings.Contains(out, "true") {
		t.Errorf("after the plan, nodes:\n%s", out)
	}

	// A binary that exits at start: the first agent rolls back, the plan
	// fails, the second agent is never touched.
	bad := filepath.Join(t.TempDir(), "shoal-bad")
	if err := os.WriteFile(bad, []byte("#!/bin/sh\necho 'shoal: broken build' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sum = offer(t, dir, bad, "shoal-bad")
	s.mustKubectl(33, fmt.Sprintf(planTemplate, "to-bad", "bad", "shoal-bad", sum, "", "tier: edge"), "apply", "-f", "-")
	first, second := agents[0].h.name, agents[1].h.name
	eventually(t, 4*time.Minute, "the plan to a broken binary fails", func() (bool, string) {
		phase, _ := s.kubectl(33, "", "get", "plan", "to-bad", "-o", "jsonpath={.status.phase} {.status.reason}")
		return strings.HasPrefix(phase, "Failed node "+first+" rolled back"), phase
	})
	eventually(t, 2*time.Minute, "the rolled-back agent is Ready on "+nextVersion, func() (bool, string) {
		node, _ := s.kubectl(33, "", "get", "node", first, "-o", `jsonpath={.metadata.annotations.upgrade\.shoal\.io/version} {.spec.unschedulable} {.status.conditions[?(@.type=="Ready")].status}`)
		return strings.TrimSpace(node) == nextVersion+"  True", node
	})
	for _, want := range []string{"failed (shoal bad exited before its node was Ready): restoring shoal " + nextVersion,
		"upgrade to bad rolled back"} {
		if !strings.Contains(agentProcs[0].out.String(), want) {
			t.Errorf("the first agent's output lacks %q:\n%s", want, agentProcs[0].out.String())
		}
	}
	out = s.mustKubectl(33, "", "get", "plan", "to-bad", "-o", "jsonpath={.status.nodes."+second+".order.version}")
	if strings.TrimSpace(out) == "bad" {
		t.Errorf("the second agent was targeted although the first rolled back")
	}
	if ev := s.mustKubectl(33, "", "get", "events", "--field-selector", "involvedObject.kind=Plan,involvedObject.name=to-bad", "-o", "name"); ev == "" {
		t.Error("no events for the failed plan")
	}
}

// echoBin is the shoal-echo test app's binary (it also has -get URL).
func echoBin(t *testing.T) string {
	p, err := filepath.Abs(filepath.Join(imagesDir(t), "..", "bin", "shoal-echo-v1"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
