// Package pki creates and reuses shoal's certificate authorities, leaf
// certificates and signing keys. Keys are ECDSA P-256 (small and fast to
// generate on a Raspberry-Pi-class box); private keys are written 0600.
//
// A leaf is reused across restarts while it is signed by the current CA,
// covers the wanted names and is more than RenewBefore from expiry;
// otherwise it is re-issued with the same key. CAs are never re-issued
// here (rotate-ca is an explicit operation).
package pki
