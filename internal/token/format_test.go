package token

import (
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
