// Package agent runs `shoal agent`: it joins a server through the join
// protocol (package join, with retries over the servers it knows), then
// runs the load balancer to the servers, the tunnel and the node stack;
// with the local server's data dir it runs the node stack alone. RunOS is
// `shoal os agent`: the same join, then only the OS image agent.
package agent
