package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInstallKillallUninstall is the service's life in a throwaway root
// (systemd cannot run here: the test stands in for ExecStart with the
// unit's own command and environment file): install writes the files,
// the installed shoal starts with fewer than 100 lines of output before
// its node is Ready, runs pods, stops leaving them running; killall
// leaves no process, mount, link or chain of it; shoal starts cleanly
// again; uninstall removes everything.
func TestInstallKillallUninstall(t *testing.T) {
	h := newHost(t, "shoal-i1", 87)
	root, dir := t.TempDir(), t.TempDir()
	t.Cleanup(func() { releaseNode(t, h, dir) })
	copyFile(t, filepath.Join(imagesDir(t), "shoal-echo-v1.tar"), filepath.Join(dir, "agent", "images", "shoal-echo-v1.tar"))

	install := exec.Command(shoalBin(t), "install", "server", "--root", root, "--init", "systemd",
		"-d", dir, "--node-name", h.name, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"), h.cgroupRootArg(),
		"--disable", "coredns,servicelb,local-storage,metrics-server,ingress")
	install.Env = append(os.Environ(), "SHOAL_TOKEN=install-test-secret")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	bin := filepath.Join(root, "usr/local/bin/shoal")
	env, err := os.ReadFile(filepath.Join(root, "etc/shoal/shoal.env"))
	if err != nil || !strings.Contains(string(env), "SHOAL_TOKEN=install-test-secret\n") {
		t.Fatalf("environment file: %v\n%s", err, env)
	}
	if cfg, _ := os.ReadFile(filepath.Join(root, "etc/shoal/config.yaml")); strings.Contains(string(cfg), "install-test-secret") {
		t.Errorf("the token is in config.yaml:\n%s", cfg)
	}

	s := startInstalled(t, h, bin, root, dir)
	lines := strings.Count(s.out.String(), "\n") + strings.Count(s.errOut.String(), "\n")
	if lines >= 100 {
		t.Errorf("%d lines of output before the node was Ready (want < 100):\n%s\n%s", lines, s.out.String(), s.errOut.String())
	}
	s.mustKubectl(33, strings.Replace(echoManifest, "replicas: 3", "replicas: 2", 1), "apply", "-f", "-")
	s.mustKubectl(33, "", "rollout", "status", "deploy/echo", "--timeout=120s")
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	if procs := processesUnder(dir); len(procs) == 0 {
		t.Fatal("no shim left running after shoal stopped: nothing for killall to do")
	}

	killall := exec.Command("nsenter", "--net=/var/run/netns/"+h.name, bin, "killall", "-d", dir)
	if out, err := killall.CombinedOutput(); err != nil {
		t.Fatalf("killall: %v\n%s", err, out)
	}
	if procs := processesUnder(dir); len(procs) > 0 {
		t.Errorf("processes left: %v", procs)
	}
	if m := mountsUnder(dir); len(m) > 0 {
		t.Errorf("mounts left: %v", m)
	}
	for _, link := range []string{"cni0", "flannel.1"} {
		if exec.Command("ip", "-n", h.name, "link", "show", link).Run() == nil {
			t.Errorf("link %s left", link)
		}
	}
	rules, _ := exec.Command("ip", "netns", "exec", h.name, "iptables-save").Output()
	for _, chain := range []string{"KUBE-", "FLANNEL", "CNI-"} {
		if strings.Contains(string(rules), chain) {
			t.Errorf("%s chains left:\n%s", chain, rules)
		}
	}

	// A clean start after killall, and the pods come back.
	s = startInstalled(t, h, bin, root, dir)
	s.mustKubectl(33, "", "rollout", "status", "deploy/echo", "--timeout=120s")
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}

	uninstall := exec.Command("nsenter", "--net=/var/run/netns/"+h.name, bin, "uninstall", "--root", root, "--yes")
	if out, err := uninstall.CombinedOutput(); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	for _, gone := range []string{bin, filepath.Join(root, "usr/local/bin/kubectl"), filepath.Join(root, "etc/shoal"),
		filepath.Join(root, "etc/systemd/system/shoal.service"), dir} {
		if _, err := os.Lstat(gone); !os.IsNotExist(err) {
			t.Errorf("%s left after uninstall (%v)", gone, err)
		}
	}
}

// startInstalled runs the installed shoal as its unit would: the command
// of ExecStart, the environment file, the installed config file.
func startInstalled(t *testing.T, h *host, bin, root, dir string) *server {
	t.Helper()
	s := newShoalCmd(t, bin, h.name, "server", dir, 6443, "--config", filepath.Join(root, "etc/shoal/config.yaml"))
	env, _ := os.ReadFile(filepath.Join(root, "etc/shoal/shoal.env"))
	s.cmd.Env = os.Environ()
	for _, l := range strings.Split(string(env), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			s.cmd.Env = append(s.cmd.Env, l)
		}
	}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.errOut
	s.start()
	s.waitLine("node "+h.name+" Ready", 3*time.Minute)
	return s
}

// processesUnder lists the processes running a binary under dir
// (containerd, shims).
func processesUnder(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, dir+"/") {
			out = append(out, e.Name()+" "+exe)
		}
	}
	return out
}
