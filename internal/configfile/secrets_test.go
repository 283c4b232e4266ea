package configfile

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func secretFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("token", "", "")
	fs.String("token-file", "", "")
	fs.String("agent-token", "", "")
	fs.String("datastore-endpoint", "", "")
	return fs
}

func TestExposedSecretsNamesArgvCredentials(t *testing.T) {
	fs := secretFlagSet()
	if err := fs.Parse([]string{"--token", "K10abc::server:s3cret", "--datastore-endpoint", "postgres://u@db:5432/k"}); err != nil {
		t.Fatal(err)
	}
	got := ExposedSecrets(fs)
	if len(got) != 1 || !strings.Contains(got[0], "--token on the command line") || !strings.Contains(got[0], "SHOAL_TOKEN") {
		t.Fatalf("warnings: %q", got)
	}
	fs = secretFlagSet()
	_ = fs.Parse([]string{"--datastore-endpoint", "postgres://u:pw@db:5432/k"})
	if got := ExposedSecrets(fs); len(got) != 1 || !strings.Contains(got[0], "--datastore-endpoint") {
		t.Fatalf("a password in the endpoint: %q", got)
	}
}

func TestApplyEnvironmentPrecedence(t *testing.T) {
	env := map[string]string{"SHOAL_TOKEN": "from-env-0123456789", "SHOAL_AGENT_TOKEN": "agent-from-env-0123", "SHOAL_DATASTORE_ENDPOINT": ""}
	fs := secretFlagSet()
	_ = fs.Parse([]string{"--agent-token", "agent-from-argv-0123"})
	if err := ApplyEnvironment(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{"token": "from-env-0123456789", "agent-token": "agent-from-argv-0123", "datastore-endpoint": ""} {
		if got, _ := fs.GetString(flag); got != want {
			t.Errorf("--%s = %q, want %q", flag, got, want)
		}
	}
	// A token file wins over the environment (both would be refused).
	fs = secretFlagSet()
	_ = fs.Parse([]string{"--token-file", "/etc/shoal/token"})
	if err := ApplyEnvironment(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if got, _ := fs.GetString("token"); got != "" {
		t.Errorf("--token = %q next to --token-file", got)
	}
}
