package config

import (
	"net"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, args ...string) (*Server, error) {
	t.Helper()
	return parseOwn(t, append([]string{"--advertise-address=192.0.2.10"}, args...)...)
}

// parseOwn is parse without a given advertise address.
func parseOwn(t *testing.T, args ...string) (*Server, error) {
	t.Helper()
	s := &Server{}
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	s.AddFlags(fs)
	if err := fs.Parse(append([]string{"--data-dir=" + t.TempDir()}, args...)); err != nil {
		t.Fatal(err)
	}
	return s, s.Complete()
}

func TestCompleteDefaults(t *testing.T) {
	s, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if s.APIServerIP.String() != "10.43.0.1" || s.ClusterDNS != "10.43.0.10" {
		t.Fatalf("service IPs: %s %s", s.APIServerIP, s.ClusterDNS)
	}
	if s.KubeconfigMode != 0o600 {
		t.Fatalf("mode %o", s.KubeconfigMode)
	}
	if !strings.HasSuffix(s.Paths.DBFile, "/server/db/state.db") {
		t.Fatalf("db %s", s.Paths.DBFile)
	}
}

func TestCompleteErrorsNameTheFlag(t *testing.T) {
	tests := []struct {
		arg  string
		flag string
	}{
		{"--https-listen-port=0", "--https-listen-port"},
		{"--bind-address=nope", "--bind-address"},
		{"--cluster-cidr=10.42.0.0", "--cluster-cidr"},
		{"--cluster-cidr=10.42.0.1/16", "--cluster-cidr"},
		{"--service-cidr=10.42.0.0/24", "--service-cidr"},
		{"--cluster-dns=10.99.0.10", "--cluster-dns"},
		{"--advertise-address=127.0.0.1", "--advertise-address"},
		{"--write-kubeconfig-mode=999", "--write-kubeconfig-mode"},
		{"--kube-apiserver-arg=novalue", "--kube-apiserver-arg"},
		{"--kube-scheduler-arg==x", "--kube-scheduler-arg"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			_, err := parse(t, tt.arg)
			if err == nil || !strings.HasPrefix(err.Error(), tt.flag) {
				t.Fatalf("err = %v, want it to start with %s", err, tt.flag)
			}
		})
	}
}

func TestNthAddress(t *testing.T) {
	_, n, _ := net.ParseCIDR("10.43.0.0/16")
	ip, err := NthAddress(n, 10)
	if err != nil || ip.String() != "10.43.0.10" {
		t.Fatalf("%v %v", ip, err)
	}
	_, small, _ := net.ParseCIDR("10.0.0.0/30")
	if _, err := NthAddress(small, 10); err == nil {
		t.Fatal("want error for small network")
	}
}

func TestDatastoreAndJoinFlags(t *testing.T) {
	pg := "--datastore-endpoint=postgres://u:p@10.0.0.5:5432/kine"
	for _, tc := range []struct {
		args []string
		want string // error prefix; "" for success
	}{
		{[]string{pg}, ""},
		{[]string{"--datastore-endpoint=http://etcd:2379"}, "--datastore-endpoint: etcd without TLS"},
		{[]string{"--datastore-endpoint=https://etcd:2379,ftp://x"}, "--datastore-endpoint"},
		{[]string{"--datastore-endpoint=https://etcd:2379", "--datastore-cafile=/nonexistent"}, "--datastore-cafile"},
		{[]string{"--datastore-endpoint=https://etcd:2379", "--datastore-certfile=/etc/hostname"}, "--datastore-certfile and --datastore-keyfile"},
		{[]string{"--datastore-endpoint=https://etcd:2379,https://etcd2:2379"}, ""},
		{[]string{pg, "--datastore-cafile=/etc/hostname"}, "--datastore-cafile/certfile/keyfile"},
		{[]string{pg, "--cluster-init"}, "--cluster-init"},
		{[]string{"--cluster-init"}, ""},
		{[]string{pg, "--cluster-reset", "--cluster-reset-restore-path=/etc/hostname"}, "--cluster-reset"},
		{[]string{"--server=https://10.0.0.1:6443"}, "--server: needs --token"},
		{[]string{"--server=https://10.0.0.1:6443", "--token=x"}, ""},
		{[]string{"--server=http://10.0.0.1:6443", "--token=x", pg}, "--server"},
		{[]string{"--server=https://10.0.0.1:6443", "--token=x", pg}, ""},
		{[]string{"--cluster-reset"}, "--cluster-reset"},
		{[]string{"--etcd-snapshot-schedule-cron=every day"}, "--etcd-snapshot-schedule-cron"},
	} {
		s, err := parse(t, append(tc.args, "--disable-agent")...)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
			} else if s.DatastoreEndpoint != "" && !s.DisableSnapshots {
				t.Errorf("%v: snapshots scheduled on an external datastore", tc.args)
			} else if want := wantKind(tc.args); s.Datastore != want {
				t.Errorf("%v: datastore %s, want %s", tc.args, s.Datastore, want)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want prefix %q", tc.args, err, tc.want)
		}
	}
}

// wantKind is the datastore a successful flag set selects.
func wantKind(args []string) DatastoreKind {
	all := strings.Join(args, " ")
	switch {
	case strings.Contains(all, "postgres://"):
		return DatastoreKine
	case strings.Contains(all, "https://etcd"):
		return DatastoreExternalEtcd
	case strings.Contains(all, "--cluster-init"), strings.Contains(all, "--server="):
		return DatastoreEtcd
	}
	return DatastoreSQLite
}
