package config

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func parseAgent(t *testing.T, args ...string) (*Agent, error) {
	t.Helper()
	a := &Agent{}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	a.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return a, a.Complete("/var/lib/shoal")
}

func TestAgentFlagsAreValidatedWithTheirNames(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--node-ip=192.0.2.9", "--node-name=Bad_Name"}, "--node-name"},
		{[]string{"--node-ip=127.0.0.1"}, "--node-ip"},
		{[]string{"--node-ip=nope"}, "--node-ip"},
		{[]string{"--node-ip=192.0.2.9", "--node-label=novalue"}, "--node-label"},
		{[]string{"--node-ip=192.0.2.9", "--node-taint=k=v:Sometimes"}, "--node-taint"},
		{[]string{"--node-ip=192.0.2.9", "--flannel-backend=wireguard-native"}, "--flannel-backend"},
		{[]string{"--node-ip=192.0.2.9", "--kubelet-arg=max-pods"}, "--kubelet-arg"},
	} {
		_, err := parseAgent(t, tc.args...)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want prefix %s", tc.args, err, tc.want)
		}
	}
}

func TestAgentDefaultsAndPaths(t *testing.T) {
	a, err := parseAgent(t, "--node-ip=192.0.2.9", "--node-name=edge-1", "--node-label=zone=a", "--node-taint=dedicated=x:NoSchedule")
	if err != nil {
		t.Fatal(err)
	}
	if a.FlannelBackend != "vxlan" || a.AgentPaths.Images != "/var/lib/shoal/agent/images" || a.AgentPaths.Bin != "/var/lib/shoal/agent/bin" {
		t.Fatalf("agent: %+v", a)
	}
}

func TestAgentJoinFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // error prefix; "" for success
	}{
		{[]string{"--server=https://10.0.0.1:6443", "--token=K10abc::server:x"}, ""},
		{[]string{"--token=x"}, "--token: needs --server"},
		{[]string{"--server=http://10.0.0.1:6443", "--token=x"}, "--server"},
		{[]string{"--server=https://10.0.0.1:6443/api", "--token=x"}, "--server"},
		{[]string{"--server=https://10.0.0.1:6443"}, "--token: required"},
		{[]string{"--server=https://10.0.0.1:6443", "--token=x", "--token-file=/nonexistent"}, "--token and --token-file"},
		{[]string{"--server=https://10.0.0.1:6443", "--token-file=/nonexistent"}, "--token-file"},
	} {
		a := &AgentCommand{}
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		a.AddFlags(fs)
		if err := fs.Parse(append(tc.args, "--node-ip=192.0.2.9", "--node-name=edge", "-d", t.TempDir())); err != nil {
			t.Fatal(err)
		}
		err := a.Complete()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want prefix %q", tc.args, err, tc.want)
		}
	}
}

// TestNodeIPFollows: a node follows its interface's address only when no
// address was given, and never on a server running an embedded etcd member.
func TestNodeIPFollows(t *testing.T) {
	if _, err := DefaultRouteIP(); err != nil {
		t.Skipf("this host has no default route to follow: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"--node-ip=192.0.2.9"}, false},
	} {
		a, err := parseAgent(t, tc.args...)
		if err != nil || a.NodeIPFollows != tc.want {
			t.Errorf("agent %v: follows %v (err %v), want %v", tc.args, a.NodeIPFollows, err, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"--advertise-address=192.0.2.10"}, false},
		{[]string{"--node-ip=192.0.2.11"}, false},
		{[]string{"--cluster-init"}, false},
	} {
		s, err := parseOwn(t, tc.args...)
		if err != nil || s.NodeIPFollows != tc.want {
			t.Errorf("server %v: follows %v (err %v), want %v", tc.args, s.NodeIPFollows, err, tc.want)
		}
	}
}
