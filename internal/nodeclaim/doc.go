// Package nodeclaim binds a node name to the agent that first claimed it
// (the hash of its node password) and to the IP the server decided for it,
// in one Secret per node in kube-system that only the server writes.
//
// It owns the rules of that binding: a name goes to the first password,
// an IP to one node at a time. The supervisor reads the bindings to sign
// a node's certificates (their names are the bound ones) and to route the
// apiserver's egress to a node's tunnel. It must not talk to nodes itself.
package nodeclaim
