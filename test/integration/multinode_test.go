package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const spreadDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 6
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      terminationGracePeriodSeconds: 1
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: spread}}}
      containers: [{name: echo, image: localhost/shoal-echo:v1, env: [{name: DRAIN_DELAY, value: 0s}]}]
---
apiVersion: v1
kind: Service
metadata: {name: spread}
spec:
  selector: {app: spread}
  ports: [{port: 80, targetPort: 8080}]
`

// keeperPod runs on the node given and tolerates its node's outage for 5 s only.
const keeperPod = `apiVersion: v1
kind: Pod
metadata: {name: keeper}
spec:
  nodeName: %s
  terminationGracePeriodSeconds: 1
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
  containers: [{name: echo, image: localhost/shoal-echo:v1, env: [{name: DRAIN_DELAY, value: 0s}]}]
`

// joiner is one agent host with its data dir, and the binary it runs
// (bin/shoal, or the agent's own build, bin/shoal-agent).
type joiner struct {
	h   *host
	dir string
	bin string
}

func newJoiner(t *testing.T, l *lan, name string, i int) *joiner {
	j := &joiner{h: l.host(t, name, i), dir: t.TempDir(), bin: shoalBin(t)}
	t.Cleanup(func() { releaseNode(t, j.h, j.dir) })
	copyFile(t, filepath.Join(imagesDir(t), "shoal-echo-v1.tar"), filepath.Join(j.dir, "agent", "images", "shoal-echo-v1.tar"))
	return j
}

// start runs `shoal agent` for it against server, with token.
func (j *joiner) start(t *testing.T, server, tok string, extra ...string) *server {
	args := append([]string{"-d", j.dir, "--server", server, "--token", tok, "--node-name", j.h.name, j.h.cgroupRootArg()}, extra...)
	return startPipedIn(t, j.bin, j.h.name, "agent", j.dir, 0, args...)
}

// refused waits for an agent to exit with an error containing want.
func refused(t *testing.T, a *server, want string) {
	t.Helper()
	select {
	case <-a.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("agent still running, want refusal %q:\n%s", want, a.out.String())
	}
	if a.exitErr == nil || !strings.Contains(a.errOut.String(), want) {
		t.Errorf("agent exit %v, stderr %q; want an error containing %q", a.exitErr, tail(a.errOut.String(), 5), want)
	}
}

// outageLength is how long TestMultiNode cuts an agent's link: 2 minutes,
// or SHOAL_OUTAGE (`make test-outage`: 10 minutes, twice upstream's
// 300 s eviction).
func outageLength(t *testing.T) time.Duration {
	v := os.Getenv("SHOAL_OUTAGE")
	if v == "" {
		return 2 * time.Minute
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute {
		t.Fatalf("SHOAL_OUTAGE=%q: want a duration of at least 1m", v)
	}
	return d
}

// TestMultiNode is the multi-node acceptance: agents in network namespaces
// that accept no inbound connections join a server with tokens; bad
// tokens and a stolen node name are refused; pods talk across nodes;
// logs and exec reach agents' pods through the tunnel; agents survive a
// cut link and a server restart.
func TestMultiNode(t *testing.T) {
	l := newLAN(t, "shoal-m", 95)
	sh := l.host(t, "shoal-ms", 2)
	dir := t.TempDir()
	t.Cleanup(func() { releaseNode(t, sh, dir) })
	for _, f := range []string{"shoal-echo-v1.tar", "coredns.tar"} {
		copyFile(t, filepath.Join(imagesDir(t), f), filepath.Join(dir, "agent", "images", f))
	}
	// --pod-eviction-timeout 0: no pod is evicted from a node whose link
	// is down, however long (the cut below checks it).
	serverArgs := []string{"-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"), "--node-name", sh.name,
		sh.cgroupRootArg(), "--disable", "metrics-server,ingress,local-storage", "--pod-eviction-timeout=0"}
	s := startServerIn(t, sh.name, dir, 6443, serverArgs...)
	s.waitLine("node "+sh.name+" Ready", 3*time.Minute)
	url := "https://" + sh.ip + ":6443"
	b, err := os.ReadFile(filepath.Join(dir, "server", "token"))
	if err != nil {
		t.Fatal(err)
	}
	serverToken := strings.TrimSpace(string(b))
	hash, cred, _ := strings.Cut(strings.TrimPrefix(serverToken, "K10"), "::")

	a1, a2, rogue := newJoiner(t, l, "shoal-ma1", 3), newJoiner(t, l, "shoal-ma2", 4), newJoiner(t, l, "shoal-ma3", 5)
	// The second agent runs the agent's own binary (ADR 0013): it joins,
	// runs pods and serves them like the full binary does.
	a2.bin = agentBin(t)
	if out, err := exec.Command(a2.bin, "server").CombinedOutput(); err == nil || !strings.Contains(string(out), `unknown command "server"`) {
		t.Errorf("the agent's binary runs a server? err=%v out=%s", err, out)
	}
	t.Run("refusals", func(t *testing.T) {
		refused(t, rogue.start(t, url, "K10"+hash+"::server:wrong-secret-0123456789"), "--token: refused by the server: a wrong, expired or deleted token")
		refused(t, rogue.start(t, url, "K10"+strings.Repeat("0", 64)+"::"+cred), "the token pins "+strings.Repeat("0", 64))
		expiring := strings.TrimSpace(sh.shoal(t, "token", "create", "-d", dir, "--ttl", "1s", "--description", "expires"))
		_, id, _ := strings.Cut(expiring, "::")
		id, _, _ = strings.Cut(id, ".")
		// Once expired, kube-controller-manager's tokencleaner deletes it.
		eventually(t, 30*time.Second, "the 1 s bootstrap token has expired", func() (bool, string) {
			out := sh.shoal(t, "token", "list", "-d", dir)
			return strings.Contains(out, "(expired)") || !strings.Contains(out, id), out
		})
		refused(t, rogue.start(t, url, expiring), "--token: refused by the server")
		if out := s.mustKubectl(33, "", "get", "nodes", "-o", "name"); strings.TrimSpace(out) != "node/"+sh.name {
			t.Errorf("refused agents left nodes behind: %s", out)
		}
	})

	a1.h.refuseInbound(t)
	a2.h.refuseInbound(t)
	bootstrap := strings.TrimSpace(sh.shoal(t, "token", "create", "-d", dir, "--description", "agent 2"))
	ag1 := a1.start(t, url, serverToken)
	ag2 := a2.start(t, url, bootstrap)
	ag1.waitLine("node "+a1.h.name+" Ready", 3*time.Minute)
	ag2.waitLine("node "+a2.h.name+" Ready", 3*time.Minute)

	t.Run("stolen node name", func(t *testing.T) {
		rogueArgs := []string{"-d", rogue.dir, "--server", url, "--token", serverToken, "--node-name", a1.h.name, rogue.h.cgroupRootArg()}
		refused(t, startShoalIn(t, rogue.h.name, "agent", rogue.dir, 0, rogueArgs...), "already claimed by another agent")
	})

	s.mustKubectl(33, spreadDeployment, "apply", "-f", "-")
	s.mustKubectl(33, "", "rollout", "status", "deploy/spread", "--timeout=180s")
	podsOn := podsByNode(t, s)
	for _, n := range []string{sh.name, a1.h.name, a2.h.name} {
		if len(podsOn[n]) != 2 {
			t.Fatalf("want 2 pods on each of 3 nodes, got %v", podsOn)
		}
	}
	onA1, onA2 := podsOn[a1.h.name][0], podsOn[a2.h.name][0]
	t.Run("pod to pod and to Service across nodes", func(t *testing.T) {
		target := s.mustKubectl(33, "", "get", "pod", onA2, "-o", "jsonpath={.status.podIP}")
		if out := s.mustKubectl(33, "", "exec", onA1, "--", "/shoal-echo", "-get", "http://"+target+":8080/"); !strings.Contains(out, onA2) {
			t.Errorf("pod on %s → pod on %s: %q", a1.h.name, a2.h.name, out)
		}
		nodeOf := map[string]string{}
		for n, pods := range podsOn {
			for _, p := range pods {
				nodeOf[p] = n
			}
		}
		seen := map[string]bool{}
		eventually(t, 90*time.Second, "the Service answers from pods on every node", func() (bool, string) {
			out, _ := s.kubectl(33, "", "exec", onA1, "--", "/shoal-echo", "-get", "http://spread.default.svc.cluster.local/")
			if f := strings.Fields(out); len(f) == 3 && nodeOf[f[2]] != "" {
				seen[nodeOf[f[2]]] = true
			}
			return len(seen) == 3, fmt.Sprint(seen)
		})
	})
	checkTunnel := func(t *testing.T, pod string) {
		t.Helper()
		eventually(t, 10*time.Second, "kubectl logs/exec of "+pod+" through the tunnel", func() (bool, string) {
			logs, err1 := s.kubectl(33, "", "logs", pod)
			ver, err2 := s.kubectl(33, "", "exec", pod, "--", "/shoal-echo", "-version")
			return err1 == nil && err2 == nil && strings.Contains(logs, "listening") && strings.Contains(ver, "v1"), logs + ver
		})
	}
	t.Run("logs and exec through the tunnel", func(t *testing.T) { checkTunnel(t, onA1); checkTunnel(t, onA2) })

	outage := outageLength(t)
	t.Run(fmt.Sprintf("link cut for %s", outage), func(t *testing.T) {
		// A pod that asks to be evicted 5 s after its node becomes
		// unreachable: with --pod-eviction-timeout 0 nothing evicts it.
		s.mustKubectl(33, fmt.Sprintf(keeperPod, a2.h.name), "apply", "-f", "-")
		s.mustKubectl(33, "", "wait", "--for=condition=Ready", "pod/keeper", "--timeout=60s")
		uid := func(pod string) string {
			// An evicted pod on a node that is cut off keeps its object
			// (and UID) until its kubelet confirms: deletionTimestamp shows it.
			out, _ := s.kubectl(33, "", "get", "pod", pod, "-o", "jsonpath={.metadata.uid} deleting={.metadata.deletionTimestamp} restarts={.status.containerStatuses[0].restartCount}")
			return out
		}
		before := map[string]string{"keeper": uid("keeper"), onA2: uid(onA2)}
		a2.h.setLink(t, false)
		time.Sleep(outage) // the scenario's length, not a wait for a condition
		if out := crictl(t, a2.dir, "ps"); strings.Count(out, "spread-") < 2 || !strings.Contains(out, "keeper") {
			t.Errorf("pods on the cut-off node stopped:\n%s", out)
		}
		if taints := s.mustKubectl(33, "", "get", "node", a2.h.name, "-o", "jsonpath={.spec.taints[*].key}"); !strings.Contains(taints, "node.kubernetes.io/unreachable") {
			t.Errorf("after %s cut off %s is not tainted unreachable (taints %q): the cut proves nothing", outage, a2.h.name, taints)
		}
		a2.h.setLink(t, true)
		defer func() {
			for pod, was := range before {
				if now := uid(pod); now != was {
					t.Errorf("pod %s was %q before the cut, %q after: evicted or restarted", pod, was, now)
				}
			}
			s.mustKubectl(33, "", "delete", "pod", "keeper", "--wait=false")
		}()
		back := time.Now()
		eventually(t, 30*time.Second, a2.h.name+" Ready again", func() (bool, string) {
			out, _ := s.kubectl(33, "", "get", "node", a2.h.name, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
			return out == "True", out
		})
		t.Logf("%s Ready %.1fs after its link returned", a2.h.name, time.Since(back).Seconds())
		if d := time.Since(back); d > 10*time.Second {
			t.Errorf("Ready only %.1fs after the link returned, want ≤ 10 s", d.Seconds())
		}
		checkTunnel(t, onA2)
	})

	// Started without --node-ip, the agent follows its interface's address.
	t.Run("agent address change", func(t *testing.T) {
		old, moved := a1.h.ip, fmt.Sprintf("10.%d.0.%d", l.n, 13)
		a1.h.renumber(t, moved)
		changed := time.Now()
		eventually(t, 30*time.Second, a1.h.name+" Ready with InternalIP "+moved, func() (bool, string) {
			out, _ := s.kubectl(33, "", "get", "node", a1.h.name, "-o", `jsonpath={.status.addresses[?(@.type=="InternalIP")].address} {.status.conditions[?(@.type=="Ready")].status} {.metadata.annotations.flannel\.alpha\.coreos\.com/public-ip}`)
			return out == moved+" True "+moved, out
		})
		t.Logf("%s Ready with its new address %.1fs after it moved from %s", a1.h.name, time.Since(changed).Seconds(), old)
		if !strings.Contains(ag1.out.String(), "node address changed from "+old+" to "+moved) {
			t.Errorf("the agent did not say it followed the address:\n%s", tail(ag1.out.String(), 10))
		}
		// Its pods kept running and are reached through the Service from
		// another node (flannel's tunnel to it follows the new address).
		eventually(t, 30*time.Second, "the Service answers from the pod on "+a1.h.name, func() (bool, string) {
			out, _ := s.kubectl(33, "", "exec", onA2, "--", "/shoal-echo", "-get", "http://spread.default.svc.cluster.local/")
			f := strings.Fields(out)
			return len(f) == 3 && slices.Contains(podsOn[a1.h.name], f[2]), out
		})
		checkTunnel(t, onA1)
	})

	t.Run("server restart", func(t *testing.T) {
		before := map[*server]int{}
		for _, a := range []*server{ag1, ag2} {
			before[a] = strings.Count(a.out.String(), "tunnel to ")
		}
		if err := s.stop(60 * time.Second); err != nil {
			t.Fatal(err)
		}
		s = startServerIn(t, sh.name, dir, 6443, serverArgs...)
		s.waitLine("server ready", 2*time.Minute)
		up := time.Now()
		for _, a := range []*server{ag1, ag2} {
			n := before[a] + 1 // at least "lost", then "up"
			eventually(t, 10*time.Second, "agent tunnel reconnected", func() (bool, string) {
				lines := strings.Split(a.out.String(), "\n")
				return strings.Count(a.out.String(), "tunnel to ") > n && strings.HasSuffix(strings.TrimSpace(lines[len(lines)-2]), " up"), tail(a.out.String(), 3)
			})
		}
		t.Logf("agents reconnected %.1fs after the server was ready", time.Since(up).Seconds())
		checkTunnel(t, onA1)
	})
}

// podsByNode maps node name → pod names of the spread Deployment.
func podsByNode(t *testing.T, s *server) map[string][]string {
	out := s.mustKubectl(33, "", "get", "pods", "-l", "app=spread", "-o", `jsonpath={range .items[*]}{.spec.nodeName} {.metadata.name}{"\n"}{end}`)
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			m[f[0]] = append(m[f[0]], f[1])
		}
	}
	return m
}

// TestMultiNodeHostGW: with --flannel-backend host-gw on every node of one
// L2 segment, pods reach pods of another node through plain routes.
func TestMultiNodeHostGW(t *testing.T) {
	l := newLAN(t, "shoal-g", 96)
	sh := l.host(t, "shoal-gs", 2)
	dir := t.TempDir()
	t.Cleanup(func() { releaseNode(t, sh, dir) })
	copyFile(t, filepath.Join(imagesDir(t), "shoal-echo-v1.tar"), filepath.Join(dir, "agent", "images", "shoal-echo-v1.tar"))
	serverArgs := []string{"-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"), "--node-name", sh.name,
		sh.cgroupRootArg(), "--flannel-backend", "host-gw", "--disable", "coredns,metrics-server,ingress,local-storage,servicelb"}
	s := startServerIn(t, sh.name, dir, 6443, serverArgs...)
	s.waitLine("node "+sh.name+" Ready", 3*time.Minute)
	b, err := os.ReadFile(filepath.Join(dir, "server", "token"))
	if err != nil {
		t.Fatal(err)
	}
	a := newJoiner(t, l, "shoal-ga1", 3)
	ag := a.start(t, "https://"+sh.ip+":6443", strings.TrimSpace(string(b)), "--flannel-backend", "host-gw")
	ag.waitLine("node "+a.h.name+" Ready", 3*time.Minute)

	s.mustKubectl(33, strings.Replace(spreadDeployment, "replicas: 6", "replicas: 2", 1), "apply", "-f", "-")
	s.mustKubectl(33, "", "rollout", "status", "deploy/spread", "--timeout=180s")
	podsOn := podsByNode(t, s)
	if len(podsOn[sh.name]) != 1 || len(podsOn[a.h.name]) != 1 {
		t.Fatalf("want one pod per node, got %v", podsOn)
	}
	if out, _ := a.h.exec("ip", "route"); !strings.Contains(out, "via "+sh.ip) || strings.Contains(out, "flannel.1") {
		t.Errorf("host-gw should route the server's pod CIDR via %s, no vxlan device:\n%s", sh.ip, out)
	}
	target := s.mustKubectl(33, "", "get", "pod", podsOn[sh.name][0], "-o", "jsonpath={.status.podIP}")
	eventually(t, 30*time.Second, "pod on the agent reaches the pod on the server", func() (bool, string) {
		out, err := s.kubectl(33, "", "exec", podsOn[a.h.name][0], "--", "/shoal-echo", "-get", "http://"+target+":8080/")
		return err == nil && strings.Contains(out, podsOn[sh.name][0]), out
	})
	// Rotating the server's certificates (same CAs) leaves the agent working.
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	if out := sh.shoal(t, "certificate", "rotate", "-d", dir); !strings.Contains(out, "serving-kube-apiserver.crt") {
		t.Errorf("rotate did not set the serving certificate aside:\n%s", out)
	}
	s = startServerIn(t, sh.name, dir, 6443, serverArgs...)
	s.waitLine("node "+sh.name+" Ready", 2*time.Minute)
	if out := sh.shoal(t, "certificate", "check", "-d", dir); strings.Contains(out, "expire") {
		t.Errorf("after rotation:\n%s", out)
	}
	eventually(t, 30*time.Second, "the agent's pod logs after certificate rotation", func() (bool, string) {
		out, err := s.kubectl(33, "", "logs", podsOn[a.h.name][0])
		return err == nil && strings.Contains(out, "listening"), out
	})

	// Rotating the CAs: the new ones are cross-signed by the old, so the
	// joined agent keeps working, and restarts with its old token.
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	if out := sh.shoal(t, "certificate", "rotate-ca", "-d", dir); !strings.Contains(out, "rotated "+filepath.Join(dir, "server", "tls", "server-ca.crt")) {
		t.Errorf("rotate-ca:\n%s", out)
	}
	s = startServerIn(t, sh.name, dir, 6443, serverArgs...)
	s.waitLine("node "+sh.name+" Ready", 2*time.Minute)
	eventually(t, 60*time.Second, "the agent's pod logs after CA rotation", func() (bool, string) {
		out, err := s.kubectl(33, "", "logs", podsOn[a.h.name][0])
		return err == nil && strings.Contains(out, "listening"), out
	})
	if err := ag.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	ag = a.start(t, "https://"+sh.ip+":6443", strings.TrimSpace(string(b)), "--flannel-backend", "host-gw")
	ag.waitLine("node "+a.h.name+" Ready", 2*time.Minute)
	if !strings.Contains(ag.out.String()+ag.errOut.String(), "CA was rotated") {
		t.Errorf("the agent did not say it trusted the rotated CA:\n%s", ag.out.String())
	}

	// Deleting the Node frees its name for a replacement agent.
	if err := ag.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	s.mustKubectl(33, "", "delete", "node", a.h.name)
	eventually(t, 30*time.Second, "the deleted node's password Secret removed", func() (bool, string) {
		out, err := s.kubectl(33, "", "-n", "kube-system", "get", "secret", a.h.name+".node-password.shoal")
		return err != nil && strings.Contains(out, "NotFound"), out
	})
}
