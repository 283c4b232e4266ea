package kubeconfig

import (
	"fmt"
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Client is one identity talking to one server.
type Client struct {
	Server   string // https://host:port
	CAFile   string
	CertFile string
	KeyFile  string
	Context  string // name of cluster, user and context; "default" if empty
}

// Build returns the kubeconfig; embed copies the files' bytes into it.
func Build(c Client, embed bool) (*clientcmdapi.Config, error) {
	name := c.Context
	if name == "" {
		name = "default"
	}
	cluster := &clientcmdapi.Cluster{Server: c.Server}
	user := &clientcmdapi.AuthInfo{}
	if embed {
		var err error
		if cluster.CertificateAuthorityData, err = os.ReadFile(c.CAFile); err != nil {
			return nil, err
		}
		if user.ClientCertificateData, err = os.ReadFile(c.CertFile); err != nil {
			return nil, err
		}
		if user.ClientKeyData, err = os.ReadFile(c.KeyFile); err != nil {
			return nil, err
		}
	} else {
		cluster.CertificateAuthority = c.CAFile
		user.ClientCertificate = c.CertFile
		user.ClientKey = c.KeyFile
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = cluster
	cfg.AuthInfos[name] = user
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	return cfg, nil
}

// Write builds the kubeconfig and writes it atomically with mode.
func Write(path string, c Client, embed bool, mode os.FileMode) error {
	cfg, err := Build(c, embed)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if err := atomicfile.Write(path, data, mode); err != nil {
		return err
	}
	// atomicfile keeps the mode of the new file; make sure an existing
	// file's mode follows --write-kubeconfig-mode too.
	return os.Chmod(path, mode)
}
