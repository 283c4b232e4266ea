package config

import "path/filepath"

// Paths is where shoal keeps each file under the data dir. The layout
// mirrors K3s's so that its operators find their way.
type Paths struct {
	DataDir      string
	ServerDir    string
	DBDir        string
	DBFile       string
	EtcdDir      string // embedded etcd's data (its presence means: this server runs etcd)
	KineSocket   string
	TLSDir       string
	CredDir      string
	EtcDir       string
	Manifests    string // auto-deploy directory
	TokenFile    string // the full server token: joins servers, and is cluster-admin
	AgentToken   string // the full agent token: joins agents, nothing more
	Encryption   string // secrets encryption configuration (kube-apiserver reloads it)
	EgressSocket string // the supervisor's CONNECT proxy for kube-apiserver's egress
	StorageDir   string // local-path volumes
	Upgrades     string // binaries upgrade Plans name, served to nodes
	GitOps       string // one bare clone per GitRepo
}

// NewPaths derives every path from the data dir.
func NewPaths(dataDir string) Paths {
	server := filepath.Join(dataDir, "server")
	return Paths{
		DataDir:      dataDir,
		ServerDir:    server,
		DBDir:        filepath.Join(server, "db"),
		DBFile:       filepath.Join(server, "db", "state.db"),
		EtcdDir:      filepath.Join(server, "db", "etcd"),
		KineSocket:   filepath.Join(server, "kine.sock"),
		TLSDir:       filepath.Join(server, "tls"),
		CredDir:      filepath.Join(server, "cred"),
		EtcDir:       filepath.Join(server, "etc"),
		Manifests:    filepath.Join(server, "manifests"),
		TokenFile:    filepath.Join(server, "token"),
		AgentToken:   filepath.Join(server, "agent-token"),
		Encryption:   filepath.Join(server, "cred", "encryption-config.json"),
		EgressSocket: filepath.Join(server, "egress.sock"),
		StorageDir:   filepath.Join(dataDir, "storage"),
		Upgrades:     filepath.Join(server, "upgrades"),
		GitOps:       filepath.Join(server, "gitops"),
	}
}

// TLS returns a file in the TLS dir.
func (p Paths) TLS(name string) string { return filepath.Join(p.TLSDir, name) }

// Cred returns a kubeconfig path in the credentials dir.
func (p Paths) Cred(name string) string { return filepath.Join(p.CredDir, name+".kubeconfig") }

// SnapshotDir is where datastore snapshots go unless
// --etcd-snapshot-dir says otherwise.
func (p Paths) SnapshotDir() string { return filepath.Join(p.DBDir, "snapshots") }
