package datastore

import (
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
)

// Local is the datastore of the server whose data dir is p, as a command
// on the same machine reaches it: its embedded etcd member if it has one,
// else kine's socket (an external datastore is not reached from here).
func Local(p config.Paths) Client {
	if HasData(p.EtcdDir) {
		c := certs.Layout(p)
		return LoopbackEtcd(EtcdTLS{ServerCA: c.EtcdServerCA.Cert, ClientCert: c.EtcdClient.Cert, ClientKey: c.EtcdClient.Key})
	}
	return (&Kine{Socket: p.KineSocket}).Client()
}
