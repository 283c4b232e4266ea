// Package tlsprofile is the one TLS policy of every listener shoal runs
// (supervisor, kube-apiserver, kubelet, controller-manager, scheduler):
// TLS 1.2 or newer, and for TLS 1.2 only ECDHE key exchange with AEAD
// ciphers (the CIS Kubernetes Benchmark's strong cipher list; TLS 1.3's
// suites are not configurable and all strong). It owns no listener.
package tlsprofile
