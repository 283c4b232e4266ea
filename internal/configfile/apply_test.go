package configfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

type flags struct {
	port int
	san  []string
	off  bool
	dir  string
}

func newFlags() (*pflag.FlagSet, *flags) {
	f := &flags{}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.IntVar(&f.port, "https-listen-port", 6443, "")
	fs.StringSliceVar(&f.san, "tls-san", nil, "")
	fs.BoolVar(&f.off, "disable-agent", false, "")
	fs.StringVar(&f.dir, "data-dir", "/var/lib/shoal", "")
	return fs, f
}

func TestApplyBytes(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		yaml    string
		wantErr string
		check   func(t *testing.T, f *flags)
	}{
		{name: "scalars and list", yaml: "https-listen-port: 7443\ntls-san: [a.example, 10.0.0.1]\ndisable-agent: true\n",
			check: func(t *testing.T, f *flags) {
				if f.port != 7443 || strings.Join(f.san, ",") != "a.example,10.0.0.1" || !f.off {
					t.Fatalf("got %+v", f)
				}
			}},
		{name: "command line wins", args: []string{"--https-listen-port=9443"}, yaml: "https-listen-port: 7443\n",
			check: func(t *testing.T, f *flags) {
				if f.port != 9443 {
					t.Fatalf("port = %d", f.port)
				}
			}},
		{name: "empty file", yaml: "", check: func(t *testing.T, f *flags) {}},
		{name: "unknown key", yaml: "https-port: 1\n", wantErr: `key "https-port": unknown key`},
		{name: "bad value", yaml: "https-listen-port: abc\n", wantErr: `key "https-listen-port": invalid value "abc"`},
		{name: "list for scalar", yaml: "data-dir: [a, b]\n", wantErr: `key "data-dir": takes a single value`},
		{name: "not a map", yaml: "- a\n- b\n", wantErr: "not a YAML map"},
		{name: "malformed", yaml: "https-listen-port: [\n", wantErr: "not a YAML map"},
		{name: "nested map", yaml: "data-dir: {a: b}\n", wantErr: `key "data-dir": must be a string`},
		{name: "config key", yaml: "config: /x\n", wantErr: `key "config": cannot be set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, f := newFlags()
			fs.String("config", "", "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := ApplyBytes(fs, "/etc/shoal/config.yaml", []byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "/etc/shoal/config.yaml") {
					t.Fatalf("err = %v, want it to name the file and contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			tt.check(t, f)
		})
	}
}

func TestApplyMissingFile(t *testing.T) {
	fs, _ := newFlags()
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if err := Apply(fs, missing, false); err != nil {
		t.Fatalf("optional missing file: %v", err)
	}
	if err := Apply(fs, missing, true); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("required missing file: err = %v", err)
	}
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("https-listen-port: 8443\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Apply(fs, p, true); err != nil {
		t.Fatal(err)
	}
}
