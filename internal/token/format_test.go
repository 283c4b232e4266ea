package token

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	hash := CAHash([]byte("ca bundle"))
	for _, tc := range []struct {
		in, wantHash, wantCred, wantErr string
	}{
		{in: "K10" + hash + "::server:abc", wantHash: hash, wantCred: "server:abc"},
		{in: " K10" + hash + "::abcdef.0123456789abcdef\n", wantHash: hash, wantCred: "abcdef.0123456789abcdef"},
		{in: "server:abc", wantCred: "server:abc"},
		{in: "", wantErr: "empty"},
		{in: "K10" + hash + "server:abc", wantErr: "no \"::\""},
		{in: "K10abc::server:abc", wantErr: "not a hex SHA-256"},
		{in: "K10" + hash + "::", wantErr: "no credential"},
		{in: "server: abc", wantErr: "white space"},
	} {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) err %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.CAHash != tc.wantHash || got.Credential != tc.wantCred {
			t.Errorf("Parse(%q) = %+v, %v", tc.in, got, err)
		}
		if again, _ := Parse(got.String()); again != got {
			t.Errorf("round trip of %q: %+v", tc.in, again)
		}
	}
}

func TestBootstrapShape(t *testing.T) {
	id, secret := NewBootstrap()
	tok := Token{Credential: id + "." + secret}
	if i, s, ok := tok.Bootstrap(); !ok || i != id || s != secret {
		t.Fatalf("fresh bootstrap %s.%s not recognised", id, secret)
	}
	if _, _, ok := (Token{Credential: NewServerCredential()}).Bootstrap(); ok {
		t.Error("server credential taken for a bootstrap token")
	}
	if !strings.HasPrefix(NewServerCredential(), "server:") || NewServerCredential() == NewServerCredential() {
		t.Error("server credentials not fresh")
	}
}

func TestEnsureServer(t *testing.T) {
	path := t.TempDir() + "/token"
	ca := []byte("ca bundle")
	first, err := EnsureServer(path, "", ca)
	if err != nil || first.CAHash != CAHash(ca) || !strings.HasPrefix(first.Credential, "server:") {
		t.Fatalf("generated %+v %v", first, err)
	}
	if again, _ := EnsureServer(path, "", ca); again != first {
		t.Errorf("token not kept across starts: %v then %v", first, again)
	}
	given, err := EnsureServer(path, "s3cret-s3cret-s3cret", ca)
	if err != nil || given.Credential != "server:s3cret-s3cret-s3cret" {
		t.Errorf("--token s3cret-s3cret-s3cret gave %+v %v", given, err)
	}
	if _, err := EnsureServer(path, "K10"+CAHash([]byte("other"))+"::server:0123456789abcdef", ca); err == nil || !strings.Contains(err.Error(), "pins CA") {
		t.Errorf("a token of another cluster accepted: %v", err)
	}
}

func TestEnsureAgent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent-token")
	ca := []byte("ca")
	gen, err := EnsureAgent(path, "", ca)
	if err != nil || !strings.HasPrefix(gen.Credential, AgentUser+":") || gen.CAHash != CAHash(ca) {
		t.Fatalf("generated: %+v %v", gen, err)
	}
	if again, _ := EnsureAgent(path, "", ca); again != gen {
		t.Errorf("a restart changed the agent token: %+v → %+v", gen, again)
	}
	if b, _ := os.ReadFile(path); strings.TrimSpace(string(b)) != gen.String() {
		t.Errorf("file holds %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	if given, _ := EnsureAgent(path, "edge-fleet-secret", ca); given.Credential != "agent:edge-fleet-secret" {
		t.Errorf("a bare secret: %+v", given)
	}
	if _, err := EnsureAgent(path, "server:abc", ca); err == nil || !strings.Contains(err.Error(), "--agent-token") {
		t.Errorf("a server credential as the agent token: %v", err)
	}
}

// A secret the user chooses must be at least 16 characters; shoal's own,
// full tokens of this cluster and long enough bare secrets pass.
func TestUserSecretsHaveAMinimumLength(t *testing.T) {
	ca := []byte("ca bundle")
	full := "K10" + CAHash(ca) + "::server:0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name, given, wantCred, wantErr string
		ensure                         func(path, given string, ca []byte) (Token, error)
	}{
		{name: "short bare secret", given: "abc", wantErr: "--token: the secret must be at least 16 characters", ensure: EnsureServer},
		{name: "15 characters", given: "server:0123456789abcde", wantErr: "at least 16", ensure: EnsureServer},
		{name: "short secret in a full token", given: "K10" + CAHash(ca) + "::server:abc", wantErr: "at least 16", ensure: EnsureServer},
		{name: "short agent secret", given: "abc", wantErr: "--agent-token: the secret must be at least 16 characters", ensure: EnsureAgent},
		{name: "16 characters", given: "0123456789abcdef", wantCred: "server:0123456789abcdef", ensure: EnsureServer},
		{name: "full token", given: full, wantCred: "server:0123456789abcdef0123456789abcdef", ensure: EnsureServer},
		{name: "long agent secret", given: "edge-fleet-secret", wantCred: "agent:edge-fleet-secret", ensure: EnsureAgent},
		{name: "bootstrap-shaped secret", given: "abcdef.0123456789abcdef", wantCred: "server:abcdef.0123456789abcdef", ensure: EnsureServer},
	} {
		path := filepath.Join(t.TempDir(), "token")
		got, err := tc.ensure(path, tc.given, ca)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.wantErr)
			}
			if _, statErr := os.Stat(path); statErr == nil {
				t.Errorf("%s: a refused token was written", tc.name)
			}
			continue
		}
		if err != nil || got.Credential != tc.wantCred {
			t.Errorf("%s: %+v %v, want %q", tc.name, got, err, tc.wantCred)
		}
	}
	if _, err := NewServer("abc", ca); err == nil || !strings.Contains(err.Error(), "--new-token") {
		t.Errorf("rotation to a weak token: %v", err)
	}
	if gen, err := NewServer("", ca); err != nil || strongEnough(gen.Credential, "--new-token") != nil || gen.CAHash != CAHash(ca) {
		t.Errorf("generated token for rotation: %+v %v", gen, err)
	}
}

// A server made before the minimum keeps starting with the token it
// already holds, but takes no new weak one.
func TestStoredWeakTokenStillStarts(t *testing.T) {
	ca := []byte("ca bundle")
	path := filepath.Join(t.TempDir(), "token")
	if err := WriteFile(path, Token{CAHash: CAHash(ca), Credential: "server:abc"}); err != nil {
		t.Fatal(err)
	}
	if got, err := EnsureServer(path, "abc", ca); err != nil || got.Credential != "server:abc" {
		t.Errorf("the stored token given again: %+v %v", got, err)
	}
	if _, err := EnsureServer(path, "abd", ca); err == nil {
		t.Error("another weak token accepted")
	}
}
