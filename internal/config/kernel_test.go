package config

import (
	"errors"
	"strings"
	"testing"
)

func TestProfileCISTurnsOnEncryptionAndKernelProtection(t *testing.T) {
	s, err := parse(t, "--profile", "cis", "--disable-agent")
	if err != nil {
		t.Fatal(err)
	}
	if !s.SecretsEncryption {
		t.Error("--profile cis: secrets encryption off")
	}
	if _, err := parse(t, "--profile", "stig", "--disable-agent"); err == nil || !strings.Contains(err.Error(), "--profile") {
		t.Errorf("--profile stig: %v", err)
	}
}

func TestKernelDefaultsNameEachSysctlThatDiffers(t *testing.T) {
	sysctls := map[string]string{
		"/proc/sys/vm/overcommit_memory": "1\n", "/proc/sys/vm/panic_on_oom": "0\n", "/proc/sys/kernel/panic": "0\n",
		"/proc/sys/kernel/panic_on_oops": "1\n", "/proc/sys/kernel/keys/root_maxkeys": "1000000\n", "/proc/sys/kernel/keys/root_maxbytes": "25000000\n",
	}
	read := func(p string) ([]byte, error) {
		v, ok := sysctls[p]
		if !ok {
			return nil, errors.New("no such file")
		}
		return []byte(v), nil
	}
	err := checkKernelDefaults(read)
	if err == nil || !strings.Contains(err.Error(), "kernel.panic=10 (is 0)") || strings.Contains(err.Error(), "overcommit") {
		t.Fatalf("kernel.panic=0: %v", err)
	}
	sysctls["/proc/sys/kernel/panic"] = "10\n"
	if err := checkKernelDefaults(read); err != nil {
		t.Fatalf("every sysctl as kubelet wants: %v", err)
	}
}
