package node

import (
	"fmt"
	"path/filepath"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/containerd"
	"github.com/shoal-dev/shoal/internal/kubeconfig"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/runtimebin"
)

// Stack is a node's components, in start order, and the kubelet's client.
type Stack struct {
	// Runtime is containerd and the image import. They need no apiserver:
	// List starts them first, in the background, and awaits them before
	// Components.
	Runtime *lifecycle.Background
	// Components are kubelet, the pod network, kube-proxy and what callers
	// append.
	Components []lifecycle.Component
	Client     kubernetes.Interface // the node's own identity
	Dynamic    dynamic.Interface    // the same identity, for shoal's own resources
	Containerd *containerd.Process
}

// List is the node's components in start order around between, what the
// caller starts meanwhile: the runtime (in the background), between, the
// wait for the runtime, then Components. On one CPU, the image import
// (≈ 4 s on a 512 MB box) then overlaps the control plane's start, which
// spends part of its time waiting (bench/box.sh 512M 1).
func (s *Stack) List(between ...lifecycle.Component) []lifecycle.Component {
	out := append([]lifecycle.Component{s.Runtime}, between...)
	return append(append(out, s.Runtime.Await()), s.Components...)
}

// New unpacks the runtime executables, writes the node's kubeconfigs and
// returns its components: containerd and the image import (Runtime),
// kubelet, the pod network (unless --flannel-backend=none), kube-proxy
// and, when the node follows its interface's address, the AddressWatch.
func New(cfg *Config, report func(string, ...any)) (*Stack, error) {
	p := cfg.AgentPaths
	wrote, err := runtimebin.Install(p.Bin)
	if err != nil {
		return nil, err
	}
	if wrote {
		report("runtime executables (containerd, runc, containerd-shim-runc-v2, CNI plugins) unpacked into %s", p.Bin)
	}
	kubeletKC := filepath.Join(p.Etc, "kubelet.kubeconfig")
	for path, pair := range map[string][2]string{
		kubeletKC: {cfg.Certs.KubeletClient.Cert, cfg.Certs.KubeletClient.Key},
		filepath.Join(p.Etc, "kube-proxy.kubeconfig"): {cfg.Certs.KubeProxy.Cert, cfg.Certs.KubeProxy.Key},
	} {
		kc := kubeconfig.Client{Server: cfg.ServerURL, CAFile: cfg.Certs.ServerCA, CertFile: pair[0], KeyFile: pair[1]}
		if err := kubeconfig.Write(path, kc, false, 0o600); err != nil {
			return nil, err
		}
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeletKC)
	if err != nil {
		return nil, fmt.Errorf("kubelet kubeconfig: %w", err)
	}
	rc.UserAgent = "shoal-agent"
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	budget := cfg.Box.BudgetFor(cfg.Role)
	paths := containerd.NewPaths(p.Dir)
	ctrd := containerd.NewProcess(containerd.Settings{
		Paths:         paths,
		RuncBinary:    filepath.Join(p.Bin, "runc"),
		SystemdCgroup: false,
		MemoryLimit:   budget.Containerd,
		ShimGroups:    budget.ShimGroups,
		Nice:          budget.ContainerdNice,
	})
	runtime := &lifecycle.Background{Report: report, Components: []lifecycle.Component{
		ctrd,
		NewImages(ctrd.Socket(), paths.Content(), p.Images, filepath.Join(p.Etc, "images-imported.json"), report),
	}}
	comps := []lifecycle.Component{NewKubelet(cfg, ctrd.Socket(), client)}
	if cfg.FlannelBackend != "none" {
		// Flannel writes only its own Node's annotations: the kubelet's
		// identity is enough, and no node holds one that reaches others.
		comps = append(comps, NewFlannel(cfg, kubeletKC, paths.CNIConf))
	}
	comps = append(comps, NewKubeProxy(cfg))
	if cfg.NodeIPFollows {
		comps = append(comps, NewAddressWatch(cfg.NodeIP, config.DefaultRouteIP))
	}
	return &Stack{Runtime: runtime, Components: comps, Client: client, Dynamic: dyn, Containerd: ctrd}, nil
}
