package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Where an installed shoal lives, inside the root.
const (
	BinDir       = "/usr/local/bin"
	ConfigDir    = "/etc/shoal"
	ConfigFile   = ConfigDir + "/config.yaml"
	EnvFile      = ConfigDir + "/shoal.env"
	ManifestFile = ConfigDir + "/install.json"
)

// Options is one `shoal install`.
type Options struct {
	Role   string // "server" or "agent"
	Root   string // "/" on a device
	Binary string // the file to install (the packed release when run from it)
	// DataDir is the service's data dir, absolute (uninstall removes it).
	DataDir string
	// Config holds the role's flags the user gave, by long name (the
	// values of list flags as lists); Env the secret ones, by variable.
	Config map[string]any
	Env    map[string]string
	Init   Init
	Tools  []string // symlinks to the binary: kubectl, crictl, ctr
	Start  bool
	Out    io.Writer
}

// Manifest is what an install wrote, for uninstall.
type Manifest struct {
	Role    string   `json:"role"`
	Init    Init     `json:"init"`
	Unit    string   `json:"unit"` // the service's name
	Files   []string `json:"files"`
	DataDir string   `json:"dataDir"`
}

// UnitName is the service's name: shoal (server) or shoal-agent, as K3s
// names k3s and k3s-agent.
func UnitName(role string) string {
	if role == "agent" {
		return "shoal-agent"
	}
	return "shoal"
}

// unitPath is where init's unit for name goes.
func unitPath(init Init, name string) string {
	if init == OpenRC {
		return "/etc/init.d/" + name
	}
	return "/etc/systemd/system/" + name + ".service"
}

// DetectInit tells which init system runs root's machine: systemd when
// it is PID 1 (/run/systemd/system), else OpenRC when openrc-run exists.
func DetectInit(root string) (Init, error) {
	if _, err := os.Stat(filepath.Join(root, "/run/systemd/system")); err == nil {
		return Systemd, nil
	}
	if _, err := os.Stat(filepath.Join(root, "/sbin/openrc-run")); err == nil {
		return OpenRC, nil
	}
	return "", errors.New("--init: neither systemd (/run/systemd/system) nor OpenRC (/sbin/openrc-run) found; say which with --init systemd|openrc")
}

// Install writes every file, records them, and starts the service unless
// o.Start is false. Files are written atomically; a failure leaves the
// files written so far and says which one failed.
func Install(o Options) (*Manifest, error) {
	if !filepath.IsAbs(o.DataDir) {
		return nil, fmt.Errorf("--data-dir %q: want an absolute path", o.DataDir)
	}
	m := &Manifest{Role: o.Role, Init: o.Init, Unit: UnitName(o.Role), DataDir: o.DataDir}
	put := func(path string, data []byte, mode os.FileMode) error {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(o.Root, path)), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(o.Root, path), data, mode); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		m.Files = append(m.Files, path)
		return nil
	}
	bin := filepath.Join(BinDir, "shoal")
	if err := copyBinary(o.Binary, filepath.Join(o.Root, bin)); err != nil {
		return nil, err
	}
	m.Files = append(m.Files, bin)
	for _, tool := range o.Tools {
		if link, err := symlinkTool(o.Root, tool); err != nil {
			fmt.Fprintf(o.Out, "shoal: %s not linked: %v\n", tool, err)
		} else {
			m.Files = append(m.Files, link)
		}
	}
	cfg, err := yaml.Marshal(o.Config)
	if err != nil {
		return nil, err
	}
	if err := put(ConfigFile, append([]byte("# Written by shoal install; keys are `shoal "+o.Role+"` flags.\n"), cfg...), 0o600); err != nil {
		return nil, err
	}
	if err := put(EnvFile, envFile(o.Env), 0o600); err != nil {
		return nil, err
	}
	unit, err := render(o.Init, unitData{Name: m.Unit, Role: o.Role, Binary: bin, EnvFile: EnvFile})
	if err != nil {
		return nil, err
	}
	if err := put(unitPath(o.Init, m.Unit), unit, modeFor(o.Init)); err != nil {
		return nil, err
	}
	m.Files = append(m.Files, ManifestFile)
	raw, _ := json.MarshalIndent(m, "", "  ")
	if err := atomicfile.Write(filepath.Join(o.Root, ManifestFile), raw, 0o600); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if o.Start {
		return m, start(o.Init, m.Unit, o.Out)
	}
	return m, nil
}

// modeFor: an OpenRC script is executed, a systemd unit is read.
func modeFor(init Init) os.FileMode {
	if init == OpenRC {
		return 0o755
	}
	return 0o644
}

// copyBinary copies from to the installed path (0755), atomically: a
// running shoal at that path keeps its old file.
func copyBinary(from, to string) error {
	f, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("the binary to install: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteFrom(to, f, 0o755); err != nil {
		return fmt.Errorf("%s: %w", to, err)
	}
	return nil
}

// symlinkTool links BinDir/tool to shoal, unless something else is there.
func symlinkTool(root, tool string) (string, error) {
	link := filepath.Join(BinDir, tool)
	at := filepath.Join(root, link)
	if target, err := os.Readlink(at); err == nil && target == "shoal" {
		return link, nil
	}
	if _, err := os.Lstat(at); err == nil {
		return "", fmt.Errorf("%s exists and is not shoal's", link)
	}
	return link, os.Symlink("shoal", at)
}

// envFile is KEY=value lines, sorted (values are tokens and URLs: no
// quoting needed, none may hold a newline).
func envFile(env map[string]string) []byte {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by shoal install: the secrets of " + ConfigFile + "'s service.\n")
	for _, k := range keys {
		b.WriteString(k + "=" + env[k] + "\n")
	}
	return []byte(b.String())
}

// start enables and starts the service.
func start(init Init, unit string, out io.Writer) error {
	var cmds [][]string
	if init == OpenRC {
		cmds = [][]string{{"rc-update", "add", unit, "default"}, {"rc-service", unit, "start"}}
	} else {
		cmds = [][]string{{"systemctl", "daemon-reload"}, {"systemctl", "enable", "--now", unit}}
	}
	for _, c := range cmds {
		fmt.Fprintf(out, "shoal: %s\n", strings.Join(c, " "))
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(c, " "), err)
		}
	}
	return nil
}

// ReadManifest reads what an install under root wrote.
func ReadManifest(root string) (*Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(root, ManifestFile))
	if err != nil {
		return nil, err
	}
	m := &Manifest{}
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	return m, nil
}
