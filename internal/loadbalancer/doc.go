// Package loadbalancer is the agent's client-side TCP load balancer
// (127.0.0.1:6444): the node's components dial it, it dials the first
// server of its list that answers, so the agent survives a server address
// change and, with several servers, the loss of one. It knows nothing of
// TLS or HTTP.
package loadbalancer
