// Package servicelb gives Services of type LoadBalancer the nodes' IPs as
// their ingress addresses, in-process: kube-proxy already forwards traffic
// for a LoadBalancer ingress IP, and when that IP is a node's own, the
// Service answers on node-IP:port with no extra pod per Service (see
// docs/adr/0003-servicelb-in-process.md).
package servicelb
