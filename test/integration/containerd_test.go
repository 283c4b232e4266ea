package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shoal-dev/shoal/internal/containerd"
	"github.com/shoal-dev/shoal/internal/ociimage"
	"github.com/shoal-dev/shoal/internal/runtimebin"
)

// TestContainerdSupervisedAndImportsImages runs shoal's embedded containerd
// with the config shoal writes, imports an image tarball built here with
// the embedded ctr, kills containerd and expects the supervisor to bring it
// back with the image still there.
func TestContainerdSupervisedAndImportsImages(t *testing.T) {
	dir := t.TempDir()
	paths := containerd.NewPaths(filepath.Join(dir, "agent"))
	// containerd runs from the executable shoal carries (ADR 0013).
	if _, err := runtimebin.Install(paths.CNIBin); err != nil {
		t.Fatal(err)
	}
	p := containerd.NewProcess(containerd.Settings{Paths: paths})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() {
			log, _ := os.ReadFile(paths.Log)
			t.Logf("containerd log:\n%s", tail(string(log), 40))
		}
	}()
	if err := p.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}

	tarball := filepath.Join(dir, "air.tar")
	bin := filepath.Join(dir, "app")
	if err := os.WriteFile(bin, []byte("not really a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ociimage.Write(ociimage.Spec{Ref: "localhost/air:v1", Binary: bin, InImage: "/app"}, tarball); err != nil {
		t.Fatal(err)
	}
	ctr := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(shoalBin(t), append([]string{"ctr"}, args...)...)
		cmd.Env = append(os.Environ(), "CONTAINERD_ADDRESS="+paths.Socket)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("shoal ctr %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	ctr("images", "import", tarball)
	if out := ctr("images", "ls", "-q"); !strings.Contains(out, "localhost/air:v1") {
		t.Fatalf("imported image not listed in namespace k8s.io:\n%s", out)
	}

	first := p.PID()
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "containerd restarted by its supervisor", func() (bool, string) {
		pid := p.PID()
		return pid != 0 && pid != first, fmt.Sprint("pid ", pid)
	})
	if err := p.Ready(ctx); err != nil {
		t.Fatalf("ready after restart: %v", err)
	}
	if out := ctr("images", "ls", "-q"); !strings.Contains(out, "localhost/air:v1") {
		t.Fatalf("image lost across a containerd restart:\n%s", out)
	}
}
