//go:build qemu

package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const osImageTemplate = `apiVersion: upgrade.shoal.io/v1
kind: OSImage
metadata: {name: %s}
spec:
  image: {file: %s, sha256: %s}
  nodeSelector: {matchLabels: {kubernetes.io/hostname: shoal-vm}}
  bootTries: %d
  deadlineSeconds: 120
`

// serial is a machine's console, read as it comes.
type serial struct{ out syncBuffer }

// waitFrom waits for want at or after byte offset from and returns the
// offset just past it.
func (s *serial) waitFrom(t *testing.T, from int, want string, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		text := s.out.String()
		if from <= len(text) {
			if i := strings.Index(text[from:], want); i >= 0 {
				return from + i + len(want)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the console did not show %q within %s; its end:\n%s", want, timeout, tail(s.out.String(), 40))
	return 0
}

// TestOSImageQemu: a machine (qemu, software emulation) with a GRUB disk
// holding two OS slots runs `shoal os agent` against a shoal server on
// this host. An OSImage makes its next boot come up on the other slot,
// where it is confirmed; an OSImage whose init fails brings the machine
// back on the old slot after its boot tries, and the status says RolledBack.
func TestOSImageQemu(t *testing.T) {
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Fatal("qemu-system-x86_64 is not installed (make test-os installs it)")
	}
	dir := t.TempDir()
	port := freePort(t)
	s := startServer(t, dir, port, "-d", dir, "--https-listen-port", fmt.Sprint(port), "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"),
		"--disable-agent", "--disable", "metrics-server,ingress,local-storage,coredns,servicelb", "--tls-san", "10.0.2.2")
	s.waitReady(2 * time.Minute)
	tok, err := os.ReadFile(filepath.Join(dir, "server", "token"))
	if err != nil {
		t.Fatal(err)
	}
	// qemu's user network: the guest reaches this host's loopback as 10.0.2.2.
	work, _ := filepath.Abs("../../dist/qemu")
	agentArgs := fmt.Sprintf("--server https://10.0.2.2:%d --token %s --node-name shoal-vm --node-ip 10.0.2.15", port, strings.TrimSpace(string(tok)))
	start := time.Now()
	if out, err := exec.Command("sh", "../qemu/mkdisk.sh", work, shoalBin(t), agentArgs).CombinedOutput(); err != nil {
		t.Fatalf("mkdisk.sh: %v\n%s", err, out)
	}
	t.Logf("disk and OS images built in %s", time.Since(start).Round(time.Second))
	sums, digests := map[string]string{}, map[string]string{}
	for _, v := range []string{"v2", "bad"} {
		name := "os-" + v + ".tar"
		b, err := os.ReadFile(filepath.Join(work, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "server", "upgrades"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "server", "upgrades", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		sums[v] = hex.EncodeToString(sum[:])
		img, err := tarball.ImageFromPath(filepath.Join(work, name), nil)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		digests[v] = d.String()
	}

	var con serial
	vm := exec.Command(qemu, "-m", "768", "-smp", "1", "-nographic", "-no-user-config", "-nodefaults", "-serial", "stdio",
		"-drive", "file="+filepath.Join(work, "disk.img")+",format=raw,if=virtio",
		"-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0")
	vm.Stdout, vm.Stderr = &con.out, &con.out
	vm.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := vm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-vm.Process.Pid, syscall.SIGKILL)
		_ = vm.Wait()
		if t.Failed() {
			t.Logf("console:\n%s", tail(con.out.String(), 80))
		}
	})
	booted := time.Now()
	at := con.waitFrom(t, 0, "SHOAL-OS: version=v1 slot=a", 3*time.Minute)
	nodeAnn := func(key string) string {
		out, _ := s.kubectl(33, "", "get", "node", "shoal-vm", "-o", "jsonpath={.metadata.annotations."+strings.ReplaceAll(key, ".", `\.`)+"}")
		return out
	}
	eventually(t, 3*time.Minute, "the machine reports slot a", func() (bool, string) {
		got := nodeAnn("osimage.shoal.io/slot") + " " + nodeAnn("osimage.shoal.io/digest")
		return got == "a factory", got
	})
	t.Logf("first boot to a reporting node: %s", time.Since(booted).Round(time.Second))

	// A good image: the next boot comes up on slot b and stays there.
	applied := time.Now()
	s.mustKubectl(33, fmt.Sprintf(osImageTemplate, "to-v2", "os-v2.tar", sums["v2"], 2), "apply", "-f", "-")
	at = con.waitFrom(t, at, "SHOAL-OS: version=v2 slot=b", 5*time.Minute)
	status := func(name string) string {
		out, _ := s.kubectl(33, "", "get", "osimage", name, "-o",
			"jsonpath={.status.phase} {.status.nodes.shoal-vm.slot} {.status.nodes.shoal-vm.result} {.status.nodes.shoal-vm.digest}")
		return out
	}
	eventually(t, 3*time.Minute, "the OSImage to-v2 completes", func() (bool, string) {
		got := status("to-v2")
		return got == "Complete b Complete "+digests["v2"], got
	})
	t.Logf("OSImage applied to confirmed on the new slot: %s", time.Since(applied).Round(time.Second))

	// An image whose init fails: one boot try, then back on slot b.
	applied = time.Now()
	s.mustKubectl(33, fmt.Sprintf(osImageTemplate, "to-bad", "os-bad.tar", sums["bad"], 1), "apply", "-f", "-")
	at = con.waitFrom(t, at, "SHOAL-OS: version=bad slot=a", 5*time.Minute)
	con.waitFrom(t, at, "SHOAL-OS: version=v2 slot=b", 5*time.Minute)
	eventually(t, 3*time.Minute, "the OSImage to-bad reports the roll-back", func() (bool, string) {
		got := status("to-bad")
		return strings.HasPrefix(got, "Failed b RolledBack "+digests["v2"]), got
	})
	if got := status("to-v2"); got != "Complete b Complete "+digests["v2"] {
		t.Errorf("after the roll-back, to-v2 says %q", got)
	}
	reason, _ := s.kubectl(33, "", "get", "osimage", "to-bad", "-o", "jsonpath={.status.reason}")
	if !strings.Contains(reason, "slot a") {
		t.Errorf("the failed OSImage's reason does not name the slot: %q", reason)
	}
	t.Logf("OSImage applied to rolled back and reported: %s (reason: %s)", time.Since(applied).Round(time.Second), reason)
}
