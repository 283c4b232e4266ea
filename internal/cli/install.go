package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/configfile"
	"github.com/shoal-dev/shoal/internal/killall"
	"github.com/shoal-dev/shoal/internal/service"
)

// installFlags are `shoal install`'s own flags, beside the role's.
type installFlags struct {
	root, init string
	noStart    bool
}

func (f *installFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.root, "root", "/", "Install under this directory instead of / (the service is then not started)")
	fs.StringVar(&f.init, "init", "", "Init system to write for: systemd or openrc (default: the one running)")
	fs.BoolVar(&f.noStart, "no-start", false, "Only write the files; do not enable or start the service")
}

// newInstallCommand is `shoal install ROLE`, one subcommand per role this
// binary runs: each takes that role's flags and writes them into the
// installed config file (secrets into the environment file).
func newInstallCommand(roles map[string]func(*pflag.FlagSet) *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install shoal as a service (systemd or OpenRC) with the given flags",
		Args:  cobra.NoArgs,
	}
	for role, addFlags := range roles {
		var f installFlags
		var configFile *string
		sub := &cobra.Command{
			Use:   role + " [" + role + " flags]",
			Short: "Install `shoal " + role + "` as a service: binary, config file, environment file, unit, symlinks",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return runInstall(cmd, role, f, *configFile)
			},
		}
		configFile = addFlags(sub.Flags())
		f.add(sub.Flags())
		cmd.AddCommand(sub)
	}
	return cmd
}

// runInstall gathers the role's flags (command line, an explicit
// --config file, SHOAL_* variables) and installs.
func runInstall(cmd *cobra.Command, role string, f installFlags, configFile string) error {
	fs := cmd.Flags()
	if fs.Changed("config") {
		if err := configfile.Apply(fs, configFile, true); err != nil {
			return err
		}
	}
	if err := configfile.ApplyEnvironment(fs, os.Getenv); err != nil {
		return err
	}
	init := service.Init(f.init)
	switch {
	case f.init == "":
		var err error
		if init, err = service.DetectInit(f.root); err != nil {
			return err
		}
	case init != service.Systemd && init != service.OpenRC:
		return fmt.Errorf("--init %q: want systemd or openrc", f.init)
	}
	// uninstall removes the data dir the service ran with: it must not
	// depend on the directory install ran in.
	dataDir, err := filepath.Abs(fs.Lookup("data-dir").Value.String())
	if err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	if fs.Changed("data-dir") {
		_ = fs.Set("data-dir", dataDir)
	}
	values, env := roleValues(fs)
	bin := os.Getenv("SHOAL_PACKED") // the release's packed file, set by its unpacker
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return err
		}
	}
	tools := []string{"crictl", "ctr"}
	if role == "server" {
		tools = append([]string{"kubectl"}, tools...)
	}
	m, err := service.Install(service.Options{Role: role, Root: f.root, Binary: bin, DataDir: dataDir, Config: values,
		Env: env, Init: init, Tools: tools, Start: !f.noStart && f.root == "/", Out: cmd.OutOrStdout()})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "shoal: installed %s (%s): %s\n", m.Unit, init, strings.Join(m.Files, ", "))
	return nil
}

// roleValues are the role flags that were set, by name: secrets as
// environment variables, the rest as config-file values (lists as lists).
// The install's own flags and --config are not the role's.
func roleValues(fs *pflag.FlagSet) (map[string]any, map[string]string) {
	values, env := map[string]any{}, map[string]string{}
	fs.Visit(func(fl *pflag.Flag) {
		switch fl.Name {
		case "config", "root", "init", "no-start":
			return
		}
		if configfile.IsSecret(fl.Name) {
			env[configfile.EnvName(fl.Name)] = fl.Value.String()
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			values[fl.Name] = sv.GetSlice()
			return
		}
		values[fl.Name] = fl.Value.String()
	})
	return values, env
}

// agentRole adds `shoal agent`'s flags and returns where its --config goes.
func agentRole(fs *pflag.FlagSet) *string {
	cfg := &config.AgentCommand{}
	cfg.AddFlags(fs)
	return &cfg.ConfigFile
}

func newKillallCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "killall",
		Short: "Stop shoal and everything it started: pods, shims, containerd; unmount, delete cni0/flannel.1 and shoal's iptables chains",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return killall.Run(dataDir, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVarP(&dataDir, "data-dir", "d", installedDataDir(), "The data dir of the shoal to stop")
	return cmd
}

func newUninstallCommand() *cobra.Command {
	var root string
	var yes bool
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "killall, then remove the installed service, binary, config and the data dir",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := service.ReadManifest(root)
			if err != nil {
				return fmt.Errorf("no install found under %s: %w", root, err)
			}
			if !yes && !confirm(cmd, fmt.Sprintf("This stops shoal, kills its pods and removes %d installed files and %s (every object and volume). Continue? [y/N] ", len(m.Files), m.DataDir)) {
				return fmt.Errorf("not confirmed: nothing removed (--yes skips the question)")
			}
			return service.Uninstall(root, m, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&root, "root", "/", "The root shoal was installed under")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "Do not ask")
	return cmd
}

// installedDataDir is the data dir of the installed service, else the
// default.
func installedDataDir() string {
	if m, err := service.ReadManifest("/"); err == nil && m.DataDir != "" {
		return m.DataDir
	}
	return config.DefaultDataDir
}

func confirm(cmd *cobra.Command, question string) bool {
	fmt.Fprint(cmd.OutOrStdout(), question)
	line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "y") || strings.EqualFold(strings.TrimSpace(line), "yes")
}
