package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const kubectlDir = "/usr/lib/google-cloud-sdk/bin"

// kubectlPath is the installed real client of the given minor version.
func kubectlPath(t *testing.T, minor int) string {
	t.Helper()
	p := filepath.Join(kubectlDir, fmt.Sprintf("kubectl.1.%d", minor))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("kubectl 1.%d is required at %s: %v", minor, p, err)
	}
	return p
}

func shoalBin(t *testing.T) string {
	t.Helper()
	return builtBin(t, "SHOAL_BIN", "shoal")
}

// agentBin is the agent's own build of shoal (make build: bin/shoal-agent).
func agentBin(t *testing.T) string {
	t.Helper()
	return builtBin(t, "SHOAL_AGENT_BIN", "shoal-agent")
}

// builtBin is $env, else bin/name of this checkout; it must exist.
func builtBin(t *testing.T, env, name string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		p, _ = filepath.Abs("../../bin/" + name)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s binary not found at %s (run make build, or set %s): %v", name, p, env, err)
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// server is one running `shoal server` process.
type server struct {
	t          *testing.T
	cmd        *exec.Cmd
	dataDir    string
	port       int
	kubeconfig string
	out        *syncBuffer // stdout: shoal's stage lines
	errOut     *syncBuffer // stderr: logs and the final error
	netns      string      // network namespace the server (and kubectl) run in; "" is the host's
	exited     chan struct{}
	exitErr    error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs shoal server with args and returns once the process has
// been launched (not once it is ready: see waitReady).
func startServer(t *testing.T, dataDir string, port int, args ...string) *server {
	t.Helper()
	return startServerIn(t, "", dataDir, port, args...)
}

// startServerIn is startServer inside network namespace netns.
func startServerIn(t *testing.T, netns, dataDir string, port int, args ...string) *server {
	t.Helper()
	return startShoalIn(t, netns, "server", dataDir, port, args...)
}

// startShoalIn runs `shoal <command> args...` (server or agent) inside
// network namespace netns ("" for this one).
func startShoalIn(t *testing.T, netns, command, dataDir string, port int, args ...string) *server {
	t.Helper()
	return startPipedIn(t, shoalBin(t), netns, command, dataDir, port, args...)
}

// startPipedIn is startShoalIn with the binary at bin.
func startPipedIn(t *testing.T, bin, netns, command, dataDir string, port int, args ...string) *server {
	t.Helper()
	s := newShoalCmd(t, bin, netns, command, dataDir, port, args...)
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.errOut
	return s.start()
}

// startBinIn is startShoalIn with the shoal binary at bin (upgrades swap
// the binary they run from: each node of an upgrade test has its own).
// Output goes through files in dataDir: a rolled-back shoal is another
// process (the upgrade watchdog's) writing to the same output, and a pipe
// would keep Wait from returning when the first one exits.
func startBinIn(t *testing.T, bin, netns, command, dataDir string, port int, args ...string) *server {
	t.Helper()
	s := newShoalCmd(t, bin, netns, command, dataDir, port, args...)
	s.cmd.Stdout = followFile(t, filepath.Join(dataDir, "shoal.stdout"), s.out)
	s.cmd.Stderr = followFile(t, filepath.Join(dataDir, "shoal.stderr"), s.errOut)
	return s.start()
}

// followFile creates path for a child's output and copies what is
// written to it into buf until the test ends.
func followFile(t *testing.T, path string, buf *syncBuffer) *os.File {
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		b := make([]byte, 64<<10)
		for {
			n, _ := r.Read(b)
			buf.Write(b[:n])
			if n > 0 {
				continue
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond): // a file has nothing to wait on
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped; r.Close(); w.Close() })
	return w
}

func newShoalCmd(t *testing.T, bin, netns, command, dataDir string, port int, args ...string) *server {
	s := &server{t: t, dataDir: dataDir, port: port, out: &syncBuffer{}, errOut: &syncBuffer{}, exited: make(chan struct{}),
		kubeconfig: filepath.Join(dataDir, "kubeconfig.yaml"), netns: netns}
	s.cmd = exec.Command(bin, append([]string{command}, args...)...)
	if netns != "" {
		s.cmd = exec.Command("nsenter", append([]string{"--net=/var/run/netns/" + netns, bin, command}, args...)...)
	}
	return s
}

func (s *server) start() *server {
	t := s.t
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.exitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.stop(30 * time.Second)
		if t.Failed() {
			t.Logf("shoal stdout:\n%s\nshoal stderr (tail):\n%s", s.out.String(), tail(s.errOut.String(), 60))
		}
	})
	return s
}

// waitReady waits for the "server ready" line; it fails the test early if
// the process exits first.
func (s *server) waitReady(timeout time.Duration) {
	s.t.Helper()
	s.waitLine("shoal: server ready", timeout)
}

// waitLine waits for a line of shoal's output containing want.
func (s *server) waitLine(want string, timeout time.Duration) {
	s.t.Helper()
	deadline := time.After(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if strings.Contains(s.out.String(), want) {
			return
		}
		select {
		case <-s.exited:
			s.t.Fatalf("shoal server exited before ready: %v\n%s", s.exitErr, s.out.String())
		case <-deadline:
			s.t.Fatalf("shoal server not ready after %s:\n%s", timeout, s.out.String())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM and waits; returns the exit error (nil on exit 0).
func (s *server) stop(timeout time.Duration) error {
	select {
	case <-s.exited:
		return s.exitErr
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.exitErr
	case <-time.After(timeout):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
		return fmt.Errorf("did not stop within %s after SIGTERM", timeout)
	}
}

// kubectl runs a real kubectl binary against the server.
func (s *server) kubectl(minor int, stdin string, args ...string) (string, error) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlPath(s.t, minor), append([]string{"--kubeconfig", s.kubeconfig}, args...)...)
	if s.netns != "" {
		cmd = exec.CommandContext(ctx, "nsenter", append([]string{"--net=/var/run/netns/" + s.netns, kubectlPath(s.t, minor), "--kubeconfig", s.kubeconfig}, args...)...)
	}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustKubectl is kubectl that fails the test on error.
func (s *server) mustKubectl(minor int, stdin string, args ...string) string {
	s.t.Helper()
	out, err := s.kubectl(minor, stdin, args...)
	if err != nil {
		s.t.Fatalf("kubectl 1.%d %s: %v\n%s", minor, strings.Join(args, " "), err, out)
	}
	return out
}

// eventually polls cond until it returns true or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not true after %s; last: %s", what, timeout, last)
}

func tail(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// occupy listens on port on all addresses, as another program would.
func occupy(t *testing.T, port int) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		t.Fatal(err)
	}
	return l
}
