package node

import (
	"encoding/json"
	"net"
	"path/filepath"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// CNIConfName is the conflist shoal writes; containerd picks the first
// file of its conf dir.
const CNIConfName = "10-shoal.conflist"

// CNIConfig is the pod network on this node: a bridge with host-local
// addresses from the node's lease, a default route through the bridge, and
// portmap for hostPort. Masquerading is flannel's job.
func CNIConfig(podSubnet *net.IPNet, clusterCIDR string, mtu int, ipamDir string) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "cbr0",
		"plugins": []any{
			map[string]any{
				"type":             "bridge",
				"bridge":           "cni0",
				"isGateway":        true,
				"isDefaultGateway": true,
				"ipMasq":           false,
				"hairpinMode":      true,
				"mtu":              mtu,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": ipamDir,
					"ranges":  [][]map[string]string{{{"subnet": podSubnet.String()}}},
					"routes":  []map[string]string{{"dst": clusterCIDR}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

// WriteCNIConfig writes the conflist atomically into confDir.
func WriteCNIConfig(confDir string, conf []byte) error {
	return atomicfile.Write(filepath.Join(confDir, CNIConfName), conf, 0o644)
}
