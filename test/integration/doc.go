// Package integration starts the real bin/shoal and drives it with the
// real kubectl binaries installed on the machine. Nothing is mocked.
//
// SHOAL_BIN names the binary (make integration sets it); kubectl clients
// are taken from /usr/lib/google-cloud-sdk/bin/kubectl.1.NN.
package integration
