// Package flock takes the exclusive, process-lifetime locks that keep two
// shoal processes from sharing one server or agent directory.
package flock
