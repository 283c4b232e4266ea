package service

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// install installs a fake binary under a throwaway root.
func install(t *testing.T, role string, init Init) (string, *Manifest) {
	t.Helper()
	root := t.TempDir()
	bin := filepath.Join(t.TempDir(), "shoal")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	m, err := Install(Options{Role: role, Root: root, Binary: bin, Init: init, Out: &out,
		Config: map[string]any{"node-name": "box1", "disable": []string{"ingress", "servicelb"}},
		Env:    map[string]string{"SHOAL_TOKEN": "K10abc::server:secret"},
		Tools:  []string{"kubectl", "crictl", "ctr"}, DataDir: "/var/lib/shoal"})
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out.String())
	}
	return root, m
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestInstallWritesFilesWithModes(t *testing.T) {
	root, m := install(t, "server", Systemd)
	for path, want := range map[string]os.FileMode{
		"/usr/local/bin/shoal":              0o755,
		"/etc/shoal/config.yaml":            0o600,
		"/etc/shoal/shoal.env":              0o600,
		"/etc/shoal/install.json":           0o600,
		"/etc/systemd/system/shoal.service": 0o644,
	} {
		if got := mode(t, filepath.Join(root, path)); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
	for _, tool := range []string{"kubectl", "crictl", "ctr"} {
		if target, err := os.Readlink(filepath.Join(root, "/usr/local/bin", tool)); err != nil || target != "shoal" {
			t.Errorf("%s → %q, %v", tool, target, err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(root, ConfigFile))
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil || cfg["node-name"] != "box1" || len(cfg["disable"].([]any)) != 2 {
		t.Errorf("config.yaml: %v %v\n%s", cfg, err, raw)
	}
	if strings.Contains(string(raw), "secret") {
		t.Errorf("the token is in the config file:\n%s", raw)
	}
	env, _ := os.ReadFile(filepath.Join(root, EnvFile))
	if !strings.Contains(string(env), "\nSHOAL_TOKEN=K10abc::server:secret\n") {
		t.Errorf("env file:\n%s", env)
	}
	got, err := ReadManifest(root)
	if err != nil || got.Unit != "shoal" || got.DataDir != "/var/lib/shoal" || len(got.Files) != len(m.Files) || len(got.Files) != 8 {
		t.Errorf("manifest %+v, %v", got, err)
	}
}

// A tool that exists and is not shoal's is left alone; the install goes on.
func TestInstallLeavesAnotherKubectl(t *testing.T) {
	root := t.TempDir()
	other := filepath.Join(root, "/usr/local/bin/kubectl")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte("other"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := symlinkTool(root, "kubectl"); err == nil || !strings.Contains(err.Error(), "is not shoal's") {
		t.Errorf("err %v", err)
	}
	if b, _ := os.ReadFile(other); string(b) != "other" {
		t.Error("the other kubectl was replaced")
	}
}

// systemd's own checker accepts the unit (systemd from apt; it need not
// be PID 1).
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not installed (make test-deps installs systemd)")
	}
	for _, role := range []string{"server", "agent"} {
		root, m := install(t, role, Systemd)
		unit := filepath.Join(root, unitPath(Systemd, m.Unit))
		body, _ := os.ReadFile(unit)
		for _, want := range []string{"Type=notify", "KillMode=process", "Delegate=yes", "Restart=always",
			"EnvironmentFile=-/etc/shoal/shoal.env", "ExecStart=/usr/local/bin/shoal " + role} {
			if !strings.Contains(string(body), want+"\n") {
				t.Errorf("%s unit lacks %s:\n%s", role, want, body)
			}
		}
		// The root needs systemd's own units (sysinit.target…) to verify in.
		if err := os.MkdirAll(filepath.Join(root, "/lib/systemd"), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-a", "/lib/systemd/system", filepath.Join(root, "/lib/systemd/")).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		out, err := exec.Command(analyze, "verify", "--root="+root, unit).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", m.Unit, err, out)
		}
	}
}

func TestOpenRCScriptParses(t *testing.T) {
	root, m := install(t, "agent", OpenRC)
	script := filepath.Join(root, "/etc/init.d/shoal-agent")
	if m.Unit != "shoal-agent" || mode(t, script) != 0o755 {
		t.Fatalf("unit %s mode %o", m.Unit, mode(t, script))
	}
	if out, err := exec.Command("sh", "-n", script).CombinedOutput(); err != nil {
		t.Errorf("sh -n: %v\n%s", err, out)
	}
	body, _ := os.ReadFile(script)
	if !strings.Contains(string(body), `command_args="agent"`) || !strings.Contains(string(body), "supervisor=supervise-daemon") {
		t.Errorf("script:\n%s", body)
	}
}

// uninstall removes the recorded data dir: a relative one would depend
// on where uninstall runs.
func TestInstallRefusesARelativeDataDir(t *testing.T) {
	_, err := Install(Options{Role: "server", Root: t.TempDir(), DataDir: "data", Init: Systemd, Out: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), `--data-dir "data"`) {
		t.Errorf("err %v", err)
	}
}
