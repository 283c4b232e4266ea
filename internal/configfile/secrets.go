package configfile

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// secretFlags are the flags whose values are credentials: on a command
// line every local user reads them (ps, /proc/PID/cmdline), so they may
// come from the environment too, and a warning names them on argv.
func secretFlags() []string { return []string{"token", "agent-token", "datastore-endpoint"} }

// IsSecret tells whether flag's value is a credential (secretFlags).
func IsSecret(flag string) bool { return slices.Contains(secretFlags(), flag) }

// EnvName is the environment variable a secret flag may come from:
// SHOAL_TOKEN, SHOAL_AGENT_TOKEN, SHOAL_DATASTORE_ENDPOINT (as K3s's
// K3S_TOKEN…; an installed service reads them from its environment file).
func EnvName(flag string) string {
	return "SHOAL_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ExposedSecrets names the secret flags fs was given on its command line
// (call before Apply: the file's values are set as flags too), with why
// each is exposed. A datastore endpoint is a secret only with a password.
func ExposedSecrets(fs *pflag.FlagSet) []string {
	var out []string
	for _, name := range secretFlags() {
		f := fs.Lookup(name)
		if f == nil || !f.Changed {
			continue
		}
		if name == "datastore-endpoint" && !hasPassword(f.Value.String()) {
			continue
		}
		out = append(out, fmt.Sprintf("--%s on the command line can be read by every local user (ps, /proc/PID/cmdline): "+
			"give it in %s, the config file or a file flag instead", name, EnvName(name)))
	}
	return out
}

func hasPassword(endpoint string) bool {
	u, err := url.Parse(endpoint)
	// A MySQL DSN (mysql://u:p@tcp(host:3306)/db) is not a URL Go parses:
	// then user:password@ is looked for in the text.
	if err != nil || u.User == nil {
		return strings.Contains(endpoint, ":") && strings.Contains(endpoint, "@")
	}
	_, ok := u.User.Password()
	return ok
}

// ApplyEnvironment sets each secret flag of fs that neither the command
// line nor the config file set from its environment variable (EnvName).
// Precedence: command line, then config file, then environment; a
// --NAME-file given either way wins over the environment too.
func ApplyEnvironment(fs *pflag.FlagSet, getenv func(string) string) error {
	for _, name := range secretFlags() {
		f := fs.Lookup(name)
		if f == nil || f.Changed || fs.Changed(name+"-file") {
			continue
		}
		v := getenv(EnvName(name))
		if v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("%s: %s", EnvName(name), oneLine(err))
		}
	}
	return nil
}
