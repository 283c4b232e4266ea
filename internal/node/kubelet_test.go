package node

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"
	kubeletoptions "k8s.io/kubernetes/cmd/kubelet/app/options"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
)

func testConfig() *Config {
	a := config.Agent{NodeName: "edge-1", NodeIP: "192.0.2.7", NodeLabels: []string{"zone=a"},
		NodeTaints: []string{"dedicated=x:NoSchedule"}, ExtraKubeletArgs: []string{"node-ip=192.0.2.8", "max-pods=20"},
		AgentPaths: config.NewAgentPaths("/var/lib/shoal")}
	return &Config{Agent: a, Cluster: config.Cluster{ClusterDNS: "10.43.0.10", ClusterDomain: "cluster.local"},
		Certs: &certs.Node{ClientCA: "/ca.crt", KubeletServing: certs.Pair{Cert: "/k.crt", Key: "/k.key"}}}
}

func TestKubeletArgvAndConfigAreWhatUpstreamParses(t *testing.T) {
	k := NewKubelet(testConfig(), "/run/c.sock", nil)
	argv := k.Argv()
	for _, want := range []string{"--hostname-override=edge-1", "--node-labels=zone=a",
		"--register-with-taints=dedicated=x:NoSchedule", "--node-ip=192.0.2.8", "--max-pods=20"} {
		if !slices.Contains(argv, want) {
			t.Errorf("argv lacks %s: %v", want, argv)
		}
	}
	if slices.Contains(argv, "--node-ip=192.0.2.7") {
		t.Errorf("user --kubelet-arg did not replace node-ip: %v", argv)
	}
	// The argv parses with kubelet's own flag sets, on top of shoal's config.
	fs := pflag.NewFlagSet("kubelet", pflag.ContinueOnError)
	flags := kubeletoptions.NewKubeletFlags()
	kc, err := kubeletoptions.NewKubeletConfiguration()
	if err != nil {
		t.Fatal(err)
	}
	k.cgroups = CgroupV1
	k.configure(kc)
	flags.AddFlags(fs)
	kubeletoptions.AddKubeletConfigFlags(fs, kc)
	if err := fs.Parse(argv); err != nil {
		t.Fatal(err)
	}
	if kc.FailCgroupV1 || kc.Authentication.Anonymous.Enabled || kc.Authorization.Mode != "Webhook" ||
		kc.ContainerRuntimeEndpoint != "unix:///run/c.sock" || kc.MaxPods != 20 || kc.ClusterDNS[0] != "10.43.0.10" ||
		kc.CgroupDriver != "cgroupfs" || kc.ProtectKernelDefaults || kc.OOMScoreAdj != 0 {
		t.Errorf("kubelet config: %+v", kc)
	}
	if flags.NodeIP != "192.0.2.8" || flags.HostnameOverride != "edge-1" {
		t.Errorf("kubelet flags: node-ip %s hostname %s", flags.NodeIP, flags.HostnameOverride)
	}
	k.cgroups = CgroupV2
	k.configure(kc)
	if !kc.FailCgroupV1 {
		t.Error("on cgroup v2 kubelet keeps refusing v1")
	}
}

func TestKubeProxyArgvTakesUserValuesLast(t *testing.T) {
	c := testConfig()
	c.ExtraKubeProxyArgs = []string{"proxy-mode=nftables"}
	argv := NewKubeProxy(c).Argv()
	if !slices.Contains(argv, "--proxy-mode=nftables") || slices.Contains(argv, "--proxy-mode=iptables") {
		t.Errorf("argv: %v", argv)
	}
}
