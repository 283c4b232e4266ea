// Package tunnel is the agent's end of the websocket tunnel to the
// supervisor (rancher/remotedialer): the server dials the node's kubelet
// and pods through it, so the node needs no inbound connectivity. It only
// dials what Allow admits, and redials with backoff whenever the link
// drops. The server's end lives in package supervisor.
package tunnel
