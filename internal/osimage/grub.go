package osimage

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Grub is the GRUB backend: slots are Root/slots/{a,b} on the file system
// GRUB boots from, the boot switch is the environment block Env (read and
// updated by the grub.cfg that Script writes), and the booted slot is the
// shoal.slot= argument that grub.cfg puts on the kernel command line.
type Grub struct {
	Root    string // where the boot file system is mounted
	Env     string // its grubenv, e.g. Root/boot/grub/grubenv
	Cmdline string // default /proc/cmdline
}

var _ Slots = Grub{}

// GRUB environment variables.
const (
	envDefault = "shoal_default"
	envTrial   = "shoal_trial"
	envTries   = "shoal_tries"
	envFailed  = "shoal_failed"
)

// State implements Slots.
func (g Grub) State() (BootState, error) {
	env, err := readGrubenv(g.Env)
	if err != nil {
		return BootState{}, err
	}
	st := BootState{Default: env[envDefault], Trial: env[envTrial], Failed: env[envFailed]}
	if st.Default == "" {
		st.Default = SlotNames[0]
	}
	st.Tries, _ = strconv.Atoi(env[envTries])
	cmdline := g.Cmdline
	if cmdline == "" {
		cmdline = "/proc/cmdline"
	}
	b, err := os.ReadFile(cmdline)
	if err != nil {
		return st, err
	}
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, "shoal.slot="); ok {
			st.Booted = v
		}
	}
	if checkSlot(st.Booted) != nil {
		return st, fmt.Errorf("%s: no shoal.slot=a|b (not booted by shoal's grub.cfg)", cmdline)
	}
	return st, nil
}

func (g Grub) update(f func(env map[string]string) error) error {
	env, err := readGrubenv(g.Env)
	if err != nil {
		return err
	}
	if err := f(env); err != nil {
		return err
	}
	return writeGrubenv(g.Env, env)
}

// Dir implements Slots.
func (g Grub) Dir(s string) string { return filepath.Join(g.Root, "slots", s) }

// TryOnce implements Slots.
func (g Grub) TryOnce(s string, tries int) error {
	if err := checkSlot(s); err != nil {
		return err
	}
	if tries < 1 || tries > maxTries {
		return fmt.Errorf("boot tries %d: between 1 and %d", tries, maxTries)
	}
	return g.update(func(env map[string]string) error {
		env[envTrial], env[envTries] = s, strconv.Itoa(tries)
		return nil
	})
}

// Confirm implements Slots.
func (g Grub) Confirm() error {
	st, err := g.State()
	if err != nil {
		return err
	}
	if st.Trial != st.Booted {
		return fmt.Errorf("slot %s is not on trial", st.Booted)
	}
	return g.update(func(env map[string]string) error {
		env[envDefault], env[envTrial], env[envTries] = st.Booted, "", ""
		return nil
	})
}

// Abandon implements Slots.
func (g Grub) Abandon() error {
	return g.update(func(env map[string]string) error {
		env[envFailed], env[envTrial], env[envTries] = env[envTrial], "", ""
		return nil
	})
}

// ClearFailed implements Slots.
func (g Grub) ClearFailed() error {
	return g.update(func(env map[string]string) error {
		env[envFailed] = ""
		return nil
	})
}

// fifreeze is linux/fs.h's FIFREEZE, _IOWR('X', 119, int) (x/sys/unix
// does not define it).
const fifreeze = 0xC0045877

// Reboot implements Slots. GRUB reads the file system without replaying
// its journal, so the boot file system is frozen first: freezing flushes
// the journal to the blocks' home locations, where GRUB finds grubenv.
func (g Grub) Reboot() error {
	unix.Sync()
	if f, err := os.Open(g.Root); err == nil {
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fifreeze, 0); errno != 0 {
			_ = unix.Mount("", g.Root, "", unix.MS_REMOUNT|unix.MS_RDONLY, "")
		}
		f.Close()
	}
	return unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
}

// maxTries bounds boot counting (GRUB's script has no arithmetic: each
// count is one branch).
const maxTries = 5

// Script is the grub.cfg that implements the boot switch: the default
// slot, or a trial slot while it has tries left (each boot spends one
// before the kernel starts), then the default again with the trial marked
// failed. kernelArgs are appended to the slot's kernel command line.
func Script(kernelArgs string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# shoal A/B boot switch (boot counting in the environment block)\n")
	fmt.Fprintf(&b, "set timeout=0\nload_env %s %s %s %s\n", envDefault, envTrial, envTries, envFailed)
	fmt.Fprintf(&b, "if [ -z \"${%s}\" ]; then set %s=a; fi\nset slot=\"${%s}\"\n", envDefault, envDefault, envDefault)
	fmt.Fprintf(&b, "if [ -n \"${%s}\" ]; then\n", envTrial)
	for n := maxTries; n >= 1; n-- {
		kw := "  elif"
		if n == maxTries {
			kw = "  if"
		}
		fmt.Fprintf(&b, "%s [ \"${%s}\" = \"%d\" ]; then set %s=%d; set slot=\"${%s}\"\n", kw, envTries, n, envTries, n-1, envTrial)
	}
	fmt.Fprintf(&b, "  else set %s=\"${%s}\"; set %s=; set %s=; fi\n", envFailed, envTrial, envTrial, envTries)
	fmt.Fprintf(&b, "  save_env %s %s %s\nfi\n", envTrial, envTries, envFailed)
	fmt.Fprintf(&b, "echo \"shoal: booting slot ${slot}\"\n")
	fmt.Fprintf(&b, "linux /slots/${slot}/boot/vmlinuz shoal.slot=${slot} %s\n", kernelArgs)
	fmt.Fprintf(&b, "initrd /slots/${slot}/boot/initrd.img\nboot\n")
	return b.String()
}
