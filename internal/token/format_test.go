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
	given, err := EnsureServer(path, "s3cret", ca)
	if err != nil || given.Credential != "server:s3cret" {
		t.Errorf("--token s3cret gave %+v %v", given, err)
	}
	if _, err := EnsureServer(path, "K10"+CAHash([]byte("other"))+"::server:x", ca); err == nil || !strings.Contains(err.Error(), "pins CA") {
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
