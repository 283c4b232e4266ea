// Package certs knows the set of certificates a shoal server needs, their
// identities and their file names under <data-dir>/server/tls, and makes
// sure they all exist and are current. It builds on package pki and is the
// only place that decides who is system:masters.
package certs
