package osimage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGrubenvRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "grubenv")
	env := map[string]string{envDefault: "b", envTrial: "a", envTries: "2", envFailed: ""}
	if err := writeGrubenv(p, env); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if len(b) != grubenvSize || !strings.HasPrefix(string(b), grubenvHeader+"shoal_default=b\nshoal_trial=a\nshoal_tries=2\n#") {
		t.Fatalf("block (%d bytes): %q", len(b), b[:80])
	}
	got, err := readGrubenv(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[envDefault] != "b" || got[envTrial] != "a" || got[envTries] != "2" {
		t.Fatalf("read back %v", got)
	}
}

func TestGrubenvRefusesBadBlocks(t *testing.T) {
	p := filepath.Join(t.TempDir(), "grubenv")
	if err := os.WriteFile(p, []byte(grubenvHeader+"x=y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readGrubenv(p); err == nil || !strings.Contains(err.Error(), "not a GRUB environment block") {
		t.Fatalf("short block: %v", err)
	}
	if _, err := encodeGrubenv(map[string]string{"k": strings.Repeat("v", grubenvSize)}); err == nil {
		t.Fatal("an oversized environment was encoded")
	}
	if _, err := encodeGrubenv(map[string]string{"k": "two\nlines"}); err == nil {
		t.Fatal("a value with a newline was encoded")
	}
}

// TestGrubState: the booted slot comes from the kernel command line, the
// rest from the block; confirm and abandon update the block.
func TestGrubState(t *testing.T) {
	dir := t.TempDir()
	g := Grub{Root: dir, Env: filepath.Join(dir, "grubenv"), Cmdline: filepath.Join(dir, "cmdline")}
	if err := writeGrubenv(g.Env, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g.Cmdline, []byte("console=ttyS0 shoal.slot=b panic=5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := g.TryOnce("b", 2); err != nil {
		t.Fatal(err)
	}
	st, err := g.State()
	if err != nil || st.Booted != "b" || st.Default != "a" || st.Trial != "b" || st.Tries != 2 {
		t.Fatalf("state %+v, %v", st, err)
	}
	if err := g.Confirm(); err != nil {
		t.Fatal(err)
	}
	if st, _ = g.State(); st.Default != "b" || st.Trial != "" {
		t.Fatalf("after confirm %+v", st)
	}
	if err := g.TryOnce("a", 9); err == nil {
		t.Fatal("9 boot tries accepted")
	}
	if err := os.WriteFile(g.Cmdline, []byte("console=ttyS0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := g.State(); err == nil || !strings.Contains(err.Error(), "shoal.slot") {
		t.Fatalf("no shoal.slot: %v", err)
	}
}

func TestScriptCountsEveryTry(t *testing.T) {
	s := Script("console=ttyS0")
	for n := 1; n <= maxTries; n++ {
		want := "[ \"${shoal_tries}\" = \"" + string(rune('0'+n)) + "\" ]; then set shoal_tries=" + string(rune('0'+n-1))
		if !strings.Contains(s, want) {
			t.Errorf("no branch for %d tries left:\n%s", n, s)
		}
	}
	for _, want := range []string{"save_env shoal_trial shoal_tries shoal_failed", "linux /slots/${slot}/boot/vmlinuz shoal.slot=${slot} console=ttyS0", "initrd /slots/${slot}/boot/initrd.img"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in\n%s", want, s)
		}
	}
}
