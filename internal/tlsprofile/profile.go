package tlsprofile

import (
	"crypto/tls"
	"strings"
)

// Suites are the TLS 1.2 cipher suites allowed.
var suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// MinVersion is the oldest protocol version accepted.
const MinVersion = tls.VersionTLS12

// MinVersionName is MinVersion as upstream flags spell it.
const MinVersionName = "VersionTLS12"

// CipherSuites are the allowed TLS 1.2 suites' IDs (for crypto/tls).
func CipherSuites() []uint16 { return append([]uint16(nil), suites...) }

// CipherSuiteNames are their names, as upstream flags and the kubelet's
// configuration take them.
func CipherSuiteNames() []string {
	out := make([]string, len(suites))
	for i, id := range suites {
		out[i] = tls.CipherSuiteName(id)
	}
	return out
}

// Flag is CipherSuiteNames joined for a --tls-cipher-suites flag.
func Flag() string { return strings.Join(CipherSuiteNames(), ",") }
