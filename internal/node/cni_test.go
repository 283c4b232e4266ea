package node

import (
	"encoding/json"
	"net"
	"testing"
)

func TestCNIConfigHandsOutTheLeaseAndRoutesTheClusterCIDR(t *testing.T) {
	_, lease, _ := net.ParseCIDR("10.42.3.0/24")
	b, err := CNIConfig(lease, "10.42.0.0/16", 1450, "/var/lib/shoal/agent/cni/networks")
	if err != nil {
		t.Fatal(err)
	}
	var conf struct {
		CNIVersion string `json:"cniVersion"`
		Plugins    []struct {
			Type string `json:"type"`
			MTU  int    `json:"mtu"`
			IPAM struct {
				Type    string                `json:"type"`
				DataDir string                `json:"dataDir"`
				Ranges  [][]map[string]string `json:"ranges"`
				Routes  []map[string]string   `json:"routes"`
			} `json:"ipam"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		t.Fatal(err)
	}
	if len(conf.Plugins) != 2 || conf.Plugins[0].Type != "bridge" || conf.Plugins[1].Type != "portmap" {
		t.Fatalf("plugins: %+v", conf.Plugins)
	}
	br := conf.Plugins[0]
	if br.MTU != 1450 || br.IPAM.Type != "host-local" || br.IPAM.Ranges[0][0]["subnet"] != "10.42.3.0/24" ||
		br.IPAM.Routes[0]["dst"] != "10.42.0.0/16" || br.IPAM.DataDir == "" {
		t.Fatalf("bridge: %+v", br)
	}
}

func TestCgroupModeOfAPlainDirectoryIsV1(t *testing.T) {
	if got := cgroupModeAt(t.TempDir()); got != CgroupV1 {
		t.Fatalf("mode = %s", got)
	}
}
