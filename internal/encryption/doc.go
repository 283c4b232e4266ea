// Package encryption owns secrets encryption at rest: the
// EncryptionConfiguration file kube-apiserver reloads
// (<data-dir>/server/cred/encryption-config.json, 0600), its provider order
// and keys (aescbc or secretbox, identity to read plaintext), waiting
// until kube-apiserver applies a change, and re-encrypting every Secret.
// It never reads Secret values itself; kube-apiserver decrypts and
// re-encrypts on update.
package encryption
