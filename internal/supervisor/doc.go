// Package supervisor is the server's public port (--https-listen-port,
// 6443): one TLS listener whose endpoints are grouped by who may call them,
// each group with its own authentication and rate limit, falling through
// to a proxy to kube-apiserver (which listens on the next port).
//
//	anonymous           GET /cacerts, GET /ping
//	agents (token or    GET /v1-shoal/config, POST /v1-shoal/node-certs
//	  node certificate)
//	nodes (certificate) GET /v1-shoal/connect — the websocket tunnel
//	everyone else       → kube-apiserver, the client certificate passed on
//	                      as request headers (the front-proxy mechanism)
//
// It also serves kube-apiserver's egress (an HTTP CONNECT proxy on a unix
// socket): connections to a node that keeps a tunnel go through it.
// It owns none of the certificates it serves; package certs does. The
// paths and messages are package joinprotocol's, shared with the agent side.
package supervisor
