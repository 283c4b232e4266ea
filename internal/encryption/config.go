package encryption

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/config"
)

// Config is the encryption configuration file.
type Config struct {
	path string
	c    apiserverv1.EncryptionConfiguration
}

// Load reads path; a missing file is os.ErrNotExist.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cfg := &Config{path: path}
	if err := json.Unmarshal(b, &cfg.c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(cfg.c.Resources) != 1 || len(cfg.c.Resources[0].Providers) == 0 {
		return nil, fmt.Errorf("%s: not a configuration shoal wrote (want one resource entry for secrets)", path)
	}
	return cfg, nil
}

// Ensure loads path, or creates it with a fresh key of provider first
// (encryption on) and identity after it.
func Ensure(path, provider string, now time.Time) (cfg *Config, created bool, err error) {
	if !slices.Contains(config.EncryptionProviders, provider) {
		return nil, false, fmt.Errorf("--secrets-encryption-provider %q: want one of %s", provider, strings.Join(config.EncryptionProviders, ", "))
	}
	cfg, err = Load(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return cfg, false, err
	}
	keys := []apiserverv1.Key{newKey(provider, now)}
	p := apiserverv1.ProviderConfiguration{}
	if provider == "aescbc" {
		p.AESCBC = &apiserverv1.AESConfiguration{Keys: keys}
	} else {
		p.Secretbox = &apiserverv1.SecretboxConfiguration{Keys: keys}
	}
	cfg = &Config{path: path, c: apiserverv1.EncryptionConfiguration{
		Resources: []apiserverv1.ResourceConfiguration{{
			Resources: []string{"secrets"},
			Providers: []apiserverv1.ProviderConfiguration{p, {Identity: &apiserverv1.IdentityConfiguration{}}},
		}},
	}}
	cfg.c.Kind, cfg.c.APIVersion = "EncryptionConfiguration", "apiserver.config.k8s.io/v1"
	return cfg, true, cfg.Save()
}

func newKey(provider string, now time.Time) apiserverv1.Key {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux ≥ 3.17
	}
	return apiserverv1.Key{Name: fmt.Sprintf("%skey-%s", provider, now.UTC().Format("20060102T150405.000Z")),
		Secret: base64.StdEncoding.EncodeToString(b)}
}

// Save writes the file atomically, 0600.
func (c *Config) Save() error {
	b, err := json.MarshalIndent(c.c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(c.path, append(b, '\n'), 0o600)
}

func (c *Config) providers() []apiserverv1.ProviderConfiguration { return c.c.Resources[0].Providers }

// Enabled: the first provider (the one that writes) encrypts.
func (c *Config) Enabled() bool { return c.providers()[0].Identity == nil }

// SetEnabled puts the encrypting provider first (on) or identity first
// (off); the other stays to read what was written before.
func (c *Config) SetEnabled(on bool) {
	ps := c.providers()
	slices.SortStableFunc(ps, func(a, b apiserverv1.ProviderConfiguration) int {
		ai, bi := a.Identity != nil, b.Identity != nil
		switch {
		case ai == bi:
			return 0
		case ai == on: // identity goes last when on, first when off
			return 1
		default:
			return -1
		}
	})
}

// keys returns the encrypting provider's keys for editing.
func (c *Config) keys() (*[]apiserverv1.Key, string) {
	for _, p := range c.providers() {
		switch {
		case p.AESCBC != nil:
			return &p.AESCBC.Keys, "aescbc"
		case p.Secretbox != nil:
			return &p.Secretbox.Keys, "secretbox"
		}
	}
	return nil, ""
}

// Rotate puts a new key first; the old ones stay to read until Prune.
func (c *Config) Rotate(now time.Time) string {
	keys, provider := c.keys()
	k := newKey(provider, now)
	*keys = append([]apiserverv1.Key{k}, *keys...)
	return k.Name
}

// Prune keeps only the newest key (after every Secret was re-encrypted).
func (c *Config) Prune() int {
	keys, _ := c.keys()
	n := len(*keys) - 1
	*keys = (*keys)[:1]
	return n
}

// Describe is the status text.
func (c *Config) Describe() string {
	keys, provider := c.keys()
	names := make([]string, 0, len(*keys))
	for _, k := range *keys {
		names = append(names, k.Name)
	}
	state := "Disabled (identity writes plaintext; " + provider + " keys kept to read)"
	if c.Enabled() {
		state = "Enabled"
	}
	return fmt.Sprintf("Encryption Status: %s\nProvider: %s\nKeys (newest, the one that writes, first): %s\n",
		state, provider, strings.Join(names, ", "))
}
