package tlsprofile

import (
	"crypto/tls"
	"strings"
	"testing"
)

// Every allowed suite is an ECDHE AEAD suite Go itself deems secure.
func TestSuitesAreStrong(t *testing.T) {
	secure := map[uint16]bool{}
	for _, s := range tls.CipherSuites() {
		secure[s.ID] = true
	}
	for _, id := range CipherSuites() {
		name := tls.CipherSuiteName(id)
		if !secure[id] || !strings.HasPrefix(name, "TLS_ECDHE_") || strings.Contains(name, "CBC") {
			t.Errorf("%s: not a strong suite", name)
		}
	}
	if got := strings.Count(Flag(), ",") + 1; got != len(CipherSuites()) {
		t.Errorf("flag %q has %d suites", Flag(), got)
	}
}
