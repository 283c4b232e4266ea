// Command etcd is the upstream etcd server (etcdmain, at the version shoal
// embeds) as a program: the conformance suite's aggregator test runs it in
// a pod next to the sample API server (`make conformance-images`).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
