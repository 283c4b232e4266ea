package containerd

import (
	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	client "github.com/containerd/containerd/v2/client"
	"k8s.io/klog/v2"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Process is containerd as a supervised child process, run from the
// executable runtimebin unpacked into the node's bin dir.
type Process struct {
	lifecycle.Task
	settings Settings
	pid      atomic.Int64
}

var _ lifecycle.Component = (*Process)(nil)

// NewProcess prepares containerd; nothing runs until Start.
func NewProcess(s Settings) *Process {
	return &Process{settings: s}
}

// Binary is the containerd executable: the one in the node's bin dir.
func (p *Process) Binary() string { return filepath.Join(p.settings.CNIBin, "containerd") }

// PID is the current containerd child's process ID (0 if none).
func (p *Process) PID() int { return int(p.pid.Load()) }

// Name implements lifecycle.Component.
func (p *Process) Name() string { return "containerd" }

// Socket is the containerd (and CRI) endpoint.
func (p *Process) Socket() string { return p.settings.Socket }

// Start writes the config and supervises the child.
func (p *Process) Start(ctx context.Context) error {
	cfg, err := Render(p.settings)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(p.settings.Config, cfg, 0o600); err != nil {
		return err
	}
	for _, d := range []string{p.settings.Root, p.settings.State, p.settings.CNIBin, p.settings.CNIConf} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	return p.Go(ctx, p.supervise)
}

// supervise runs the child until ctx ends, restarting it with backoff.
func (p *Process) supervise(ctx context.Context) error {
	backoff := time.Second
	for {
		started := time.Now()
		err := p.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		klog.ErrorS(err, "containerd exited, restarting", "after", backoff, "log", p.settings.Log)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func (p *Process) runOnce(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Dir(p.settings.Log), 0o700); err != nil {
		return err
	}
	logFile, err := os.OpenFile(p.settings.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(p.Binary(), "--config", p.settings.Config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// containerd finds containerd-shim-runc-v2 on its PATH: shoal's bin
	// dir (which also holds runc and the CNI plugins) comes first.
	cmd.Env = append(os.Environ(), "PATH="+p.settings.CNIBin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if p.settings.MemoryLimit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMEMLIMIT=%d", p.settings.MemoryLimit))
	}
	// In a small box containerd (and the shims it starts) collect at half
	// the usual heap growth: they idle between pod starts, so the
	// collector's extra CPU is small and the box keeps the memory.
	if p.settings.MemoryLimit > 0 && os.Getenv("GOGC") == "" {
		cmd.Env = append(cmd.Env, "GOGC=50")
	}
	// containerd passes its environment to the shims it starts: pods
	// share ShimGroups shims (tools/runtime/shim); a value the user set wins.
	if p.settings.ShimGroups > 0 && os.Getenv(ShimGroupsEnv) == "" {
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", ShimGroupsEnv, p.settings.ShimGroups))
	}
	// containerd dies with shoal; the shims it started (and so the pods)
	// live on and are adopted again by the next containerd.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := startNice(cmd, p.settings.Nice); err != nil {
		return fmt.Errorf("start containerd: %w", err)
	}
	p.pid.Store(int64(cmd.Process.Pid))
	defer p.pid.Store(0)
	klog.InfoS("containerd started", "pid", cmd.Process.Pid, "argv", cmd.Args)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			err = errors.New("exited with status 0")
		}
		return err
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		return nil
	}
}

// Ready waits until the socket answers a Version call.
func (p *Process) Ready(ctx context.Context) error {
	for {
		if err := p.probe(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("containerd not answering on %s (log: %s): %w", p.settings.Socket, p.settings.Log, ctx.Err())
		case <-p.Done():
			return p.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *Process) probe(ctx context.Context) error {
	if _, err := os.Stat(p.settings.Socket); err != nil {
		return err
	}
	c, err := client.New(p.settings.Socket, client.WithTimeout(2*time.Second))
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err = c.Version(ctx); err != nil {
		return err
	}
	// The CRI plugin answers "server is not initialized yet" for a while
	// after containerd itself does (on restarts it recovers the pods
	// first); kubelet refuses to start until it is.
	conn, ok := c.Conn().(grpc.ClientConnInterface)
	if !ok {
		return fmt.Errorf("containerd client has no gRPC connection")
	}
	_, err = runtimeapi.NewRuntimeServiceClient(conn).Version(ctx, &runtimeapi.VersionRequest{})
	return err
}

// Stop terminates containerd (not its shims).
func (p *Process) Stop(ctx context.Context) error { return p.Halt(ctx) }

// startNice starts cmd with nice value nice (0: this process's). On a small
// box containerd, and so the shims, runc and CNI plugins it starts, yields
// the CPU to the control plane: pod starts wait, the API answers. The fork
// happens on this goroutine's thread and the child inherits that thread's
// nice value from its first instruction, so every thread containerd creates
// has it too (renicing the child after Start raced with the threads its Go
// runtime starts at once).
func startNice(cmd *exec.Cmd, nice int) error {
	if nice == 0 {
		return cmd.Start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	// getpriority(2) returns 20 - nice.
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return fmt.Errorf("nice %d: %w", nice, err)
	}
	own := 20 - raw
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, own+nice); err != nil {
		klog.ErrorS(err, "containerd keeps shoal's CPU priority", "nice", nice)
		return cmd.Start()
	}
	startErr := cmd.Start()
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, own); err != nil {
		klog.ErrorS(err, "a shoal thread keeps containerd's CPU priority", "nice", own+nice)
	}
	return startErr
}
