// Package joinprotocol is the join protocol's wire format: the paths a
// server's supervisor serves and the messages both ends exchange (ADR
// 0005, ADR 0011). Both ends import it — the server's supervisor and the
// agent's join, tunnel and upgrade packages — so that the agent side never
// links the server's implementation.
package joinprotocol
