// Package join is the agent's side of the join protocol: pin the cluster
// CA against the token, claim the node name with the node password, have
// the server sign the node's own keys, and learn the cluster settings and
// server addresses. Private keys never leave the agent. It does not run
// anything; package agent does, with what Join returns.
package join
