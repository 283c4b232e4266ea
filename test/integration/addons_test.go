package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const pvcPod = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: localhost/shoal-echo:v1
    env: [{name: DRAIN_DELAY, value: 0s}]
    volumeMounts: [{name: d, mountPath: /data}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
`

const lbService = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: localhost/shoal-echo:v1, env: [{name: DRAIN_DELAY, value: 0s}]}]
---
apiVersion: v1
kind: Service
metadata: {name: %s}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: %d, targetPort: 8080}]
`

// TestAddons covers the auto-deploy directory (apply, update, prune,
// removal, a bad file), ServiceLB, local-path volumes, and --disable.
func TestAddons(t *testing.T) {
	h := newHost(t, "shoal-b1", 93)
	dir := t.TempDir()
	t.Cleanup(func() { releaseNode(t, h, dir) })
	for _, f := range []string{"shoal-echo-v1.tar", "shoal-echo-v2.tar", "coredns.tar", "traefik.tar"} {
		copyFile(t, filepath.Join(imagesDir(t), f), filepath.Join(dir, "agent", "images", f))
	}
	s := startNode(t, h, dir)

	t.Run("manifests", func(t *testing.T) { checkManifestsDir(t, s, dir) })
	t.Run("servicelb", func(t *testing.T) {
		s.mustKubectl(33, fmt.Sprintf(lbService, "web", 8081), "apply", "-f", "-")
		s.mustKubectl(33, "", "rollout", "status", "deploy/web", "--timeout=120s")
		eventually(t, 30*time.Second, "LoadBalancer ingress is the node IP", func() (bool, string) {
			out, _ := s.kubectl(33, "", "get", "svc", "web", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
			return out == h.ip, out
		})
		eventually(t, 30*time.Second, "LoadBalancer answers on node-IP:8081", func() (bool, string) {
			body, err := fetch("http://" + h.ip + ":8081/")
			return err == nil && strings.HasPrefix(body, "shoal-echo v1 web-"), fmt.Sprint(body, err)
		})
	})
	t.Run("coredns", func(t *testing.T) {
		s.mustKubectl(33, "", "-n", "kube-system", "rollout", "status", "deploy/coredns", "--timeout=120s")
		if ip := s.mustKubectl(33, "", "-n", "kube-system", "get", "svc", "kube-dns", "-o", "jsonpath={.spec.clusterIP}"); ip != "10.43.0.10" {
			t.Errorf("kube-dns at %s", ip)
		}
		webIP := s.mustKubectl(33, "", "get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}")
		pod := strings.TrimPrefix(strings.Fields(s.mustKubectl(33, "", "get", "pods", "-l", "app=web", "-o", "name"))[0], "pod/")
		for name, want := range map[string]string{"kubernetes.default": "10.43.0.1", "web": webIP, "web.default.svc.cluster.local": webIP} {
			eventually(t, 30*time.Second, "a pod resolves "+name, func() (bool, string) {
				out, err := s.kubectl(33, "", "exec", pod, "--", "/shoal-echo", "-resolve", name)
				return err == nil && strings.TrimSpace(out) == want, out
			})
		}
	})
	t.Run("ingress", func(t *testing.T) { checkIngress(t, s, h) })
	t.Run("metrics-server", func(t *testing.T) { checkMetricsAndHPA(t, s, h) })
	t.Run("helmchart", func(t *testing.T) { checkHelmChart(t, s, dir) })
	t.Run("local-path", func(t *testing.T) {
		s.mustKubectl(33, fmt.Sprintf(pvcPod, "writer"), "apply", "-f", "-")
		s.mustKubectl(33, "", "wait", "--for=condition=Ready", "pod/writer", "--timeout=90s")
		s.mustKubectl(33, "", "exec", "writer", "--", "/shoal-echo", "-write", "/data/note", "kept across pods")
		s.mustKubectl(33, "", "delete", "pod", "writer", "--wait=true")
		s.mustKubectl(33, fmt.Sprintf(pvcPod, "reader"), "apply", "-f", "-")
		s.mustKubectl(33, "", "wait", "--for=condition=Ready", "pod/reader", "--timeout=90s")
		if out := s.mustKubectl(33, "", "exec", "reader", "--", "/shoal-echo", "-cat", "/data/note"); out != "kept across pods" {
			t.Errorf("replacement pod reads %q", out)
		}
		pv := strings.TrimSpace(s.mustKubectl(33, "", "get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}"))
		matches, _ := filepath.Glob(filepath.Join(dir, "storage", pv+"_default_data", "note"))
		if len(matches) != 1 {
			t.Errorf("volume directory of %s not under %s/storage", pv, dir)
		}
		s.mustKubectl(33, "", "delete", "pod", "reader", "--wait=true")
		s.mustKubectl(33, "", "delete", "pvc", "data", "--wait=true")
		eventually(t, 60*time.Second, "released volume deleted with its directory", func() (bool, string) {
			out, _ := s.kubectl(33, "", "get", "pv", "-o", "name")
			left, _ := filepath.Glob(filepath.Join(dir, "storage", "pvc-*"))
			return strings.TrimSpace(out) == "" && len(left) == 0, out + fmt.Sprint(left)
		})
	})

	// --disable removes what the addon deployed and stops its controller.
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	s = startServerIn(t, h.name, dir, 6443, "-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"),
		"--node-name", h.name, h.cgroupRootArg(), "--disable", "local-storage", "--disable=servicelb,coredns", "--disable", "metrics-server", "--disable", "ingress")
	s.waitLine("node "+h.name+" Ready", 3*time.Minute)
	eventually(t, 30*time.Second, "local-path StorageClass removed", func() (bool, string) {
		out, _ := s.kubectl(33, "", "get", "storageclass", "-o", "name")
		return strings.TrimSpace(out) == "", out
	})
	if _, err := os.Stat(filepath.Join(dir, "server", "manifests", "local-storage.yaml")); !os.IsNotExist(err) {
		t.Errorf("disabled addon's manifest still in the manifests dir: %v", err)
	}
	eventually(t, 60*time.Second, "coredns removed", func() (bool, string) {
		out, _ := s.kubectl(33, "", "-n", "kube-system", "get", "deploy,svc,cm,sa", "-l", "k8s-app=kube-dns", "-o", "name")
		_, err := s.kubectl(33, "", "-n", "kube-system", "get", "deploy/coredns")
		return strings.TrimSpace(out) == "" && err != nil, out
	})
	eventually(t, 60*time.Second, "metrics API removed", func() (bool, string) {
		_, err := s.kubectl(33, "", "get", "apiservice", "v1beta1.metrics.k8s.io")
		return err != nil, ""
	})
	eventually(t, 60*time.Second, "ingress controller removed", func() (bool, string) {
		out, _ := s.kubectl(33, "", "get", "ingressclass", "-o", "name")
		_, errRole := s.kubectl(33, "", "get", "clusterrole", "shoal:traefik")
		_, errDeploy := s.kubectl(33, "", "-n", "kube-system", "get", "deploy/traefik")
		return strings.TrimSpace(out) == "" && errRole != nil && errDeploy != nil, out
	})
	for _, c := range []string{"servicelb", "metrics-server"} {
		if strings.Contains(s.out.String(), c+" ready") {
			t.Errorf("%s started although disabled:\n%s", c, s.out.String())
		}
	}
	s.mustKubectl(33, fmt.Sprintf(lbService, "web2", 8082), "apply", "-f", "-")
	// Once web2's endpoints are published the controllers have seen it;
	// an enabled ServiceLB sets the ingress within milliseconds of that.
	eventually(t, 60*time.Second, "web2 has a ready endpoint", func() (bool, string) {
		out, _ := s.kubectl(33, "", "get", "endpointslices", "-l", "kubernetes.io/service-name=web2",
			"-o", "jsonpath={.items[*].endpoints[*].conditions.ready}")
		return strings.Contains(out, "true"), out
	})
	if out := s.mustKubectl(33, "", "get", "svc", "web2", "-o", "jsonpath={.status.loadBalancer.ingress}"); out != "" {
		t.Errorf("with servicelb disabled web2 got ingress %s", out)
	}
	s.mustKubectl(33, "", "delete", "deploy/web", "--wait=true")
}

const hostIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: hosts}
spec:
  rules:
  - host: one.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: one, port: {number: 80}}}}]}
  - host: two.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: two, port: {number: 80}}}}]}
`

// checkIngress: an Ingress of the default class with two host rules routes
// each host to its own Service through the bundled controller, on the node
// IP's port 80 (ServiceLB) and 443 (its default certificate).
func checkIngress(t *testing.T, s *server, h *host) {
	for name, version := range map[string]string{"one": "v1", "two": "v2"} {
		s.mustKubectl(33, "", "create", "deployment", name, "--image=localhost/shoal-echo:"+version, "--port=8080")
		s.mustKubectl(33, "", "expose", "deployment", name, "--port=80", "--target-port=8080")
	}
	s.mustKubectl(33, hostIngress, "apply", "-f", "-")
	s.mustKubectl(33, "", "-n", "kube-system", "rollout", "status", "deploy/traefik", "--timeout=120s")
	s.mustKubectl(33, "", "rollout", "status", "deploy/one", "deploy/two", "--timeout=120s")
	eventually(t, 60*time.Second, "Ingress address is the node IP", func() (bool, string) {
		out, _ := s.kubectl(33, "", "get", "ingress", "hosts", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
		return out == h.ip, out
	})
	for host, want := range map[string]string{"one.example": "shoal-echo v1 one-", "two.example": "shoal-echo v2 two-"} {
		for _, scheme := range []string{"http", "https"} {
			eventually(t, 60*time.Second, scheme+" Host: "+host+" reaches its Service", func() (bool, string) {
				code, body, err := fetchHost(scheme+"://"+h.ip+"/", host)
				return err == nil && code == 200 && strings.HasPrefix(body, want), fmt.Sprint(code, body, err)
			})
		}
	}
	if code, body, err := fetchHost("http://"+h.ip+"/", "other.example"); err != nil || code != 404 {
		t.Errorf("a host without a rule: %d %q %v, want 404", code, body, err)
	}
	s.mustKubectl(33, "", "delete", "ingress/hosts", "svc/one", "svc/two", "deploy/one", "deploy/two", "--wait=true")
}

// fetchHost GETs url with a Host header; TLS is not verified (the
// controller's default certificate is self-signed).
func fetchHost(url, host string) (int, string, error) {
	c := &http.Client{Timeout: 3 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: host}}}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func checkManifestsDir(t *testing.T, s *server, dir string) {
	manifests := filepath.Join(dir, "server", "manifests")
	cm := func(names ...string) string {
		var b strings.Builder
		for _, n := range names {
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: kube-system}\ndata: {v: %q}\n", n, n+"-1")
		}
		return b.String()
	}
	writeFile(t, filepath.Join(manifests, "user.yaml"), cm("shoal-a", "shoal-b"))
	eventually(t, 30*time.Second, "user manifest applied", func() (bool, string) {
		out, _ := s.kubectl(33, "", "-n", "kube-system", "get", "cm", "shoal-a", "shoal-b", "-o", "name")
		return strings.Count(out, "configmap/") == 2, out
	})
	writeFile(t, filepath.Join(manifests, "user.yaml"), strings.ReplaceAll(cm("shoal-a"), "shoal-a-1", "shoal-a-2"))
	eventually(t, 30*time.Second, "changed manifest re-applied and the dropped object pruned", func() (bool, string) {
		v, _ := s.kubectl(33, "", "-n", "kube-system", "get", "cm", "shoal-a", "-o", "jsonpath={.data.v}")
		_, err := s.kubectl(33, "", "-n", "kube-system", "get", "cm", "shoal-b")
		return v == "shoal-a-2" && err != nil, v
	})
	writeFile(t, filepath.Join(manifests, "bad.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")
	s.waitLine("manifest "+filepath.Join(manifests, "bad.yaml")+": document 1 (ConfigMap): metadata.name is required", 30*time.Second)
	os.Remove(filepath.Join(manifests, "bad.yaml"))
	os.Remove(filepath.Join(manifests, "user.yaml"))
	eventually(t, 30*time.Second, "objects of a removed manifest deleted", func() (bool, string) {
		_, err := s.kubectl(33, "", "-n", "kube-system", "get", "cm", "shoal-a")
		return err != nil, ""
	})
}

const busyHPA = `apiVersion: apps/v1
kind: Deployment
metadata: {name: busy}
spec:
  selector: {matchLabels: {app: busy}}
  template:
    metadata: {labels: {app: busy}}
    spec:
      containers:
      - name: busy
        image: localhost/shoal-echo:v1
        env: [{name: DRAIN_DELAY, value: 0s}]
        resources: {requests: {cpu: 10m}}
---
apiVersion: v1
kind: Service
metadata: {name: busy}
spec:
  type: NodePort
  selector: {app: busy}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: busy}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: busy}
  minReplicas: 1
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0}
    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Percent, value: 100, periodSeconds: 15}]}
`

// checkMetricsAndHPA: metrics-server runs in shoal's process behind a
// verified APIService, kubectl top answers, and an HPA scales a loaded
// Deployment from 1 to at least 3 and back to 1 once the load stops.
func checkMetricsAndHPA(t *testing.T, s *server, h *host) {
	// Available means the aggregator reached it over TLS verified with the
	// server CA (the APIService does not skip verification).
	s.mustKubectl(33, "", "wait", "--for=condition=Available", "apiservice/v1beta1.metrics.k8s.io", "--timeout=120s")
	if out := s.mustKubectl(33, "", "get", "apiservice", "v1beta1.metrics.k8s.io", "-o", "jsonpath={.spec.insecureSkipTLSVerify}"); out == "true" {
		t.Errorf("metrics APIService skips TLS verification")
	}
	if out := s.mustKubectl(33, "", "-n", "kube-system", "get", "endpointslices", "-l", "kubernetes.io/service-name=metrics-server",
		"-o", "jsonpath={.items[*].endpoints[*].addresses[0]}"); out != h.ip {
		t.Errorf("metrics-server endpoints %q, want this server's %s", out, h.ip)
	}
	if out, _ := s.kubectl(33, "", "-n", "kube-system", "get", "pods", "-l", "k8s-app=metrics-server", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Errorf("a metrics-server pod runs beside the in-process one: %s", out)
	}
	eventually(t, 90*time.Second, "kubectl top nodes", func() (bool, string) {
		out, err := s.kubectl(33, "", "top", "nodes", "--no-headers")
		return err == nil && strings.HasPrefix(out, h.name+" ") && strings.Contains(out, "Mi"), out
	})
	eventually(t, 60*time.Second, "kubectl top pods", func() (bool, string) {
		out, err := s.kubectl(33, "", "top", "pods", "-n", "kube-system", "--no-headers")
		return err == nil && strings.Contains(out, "coredns-"), out
	})
	s.mustKubectl(33, busyHPA, "apply", "-f", "-")
	s.mustKubectl(33, "", "rollout", "status", "deploy/busy", "--timeout=120s")
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
					_, _ = fetch("http://" + h.ip + ":30080/")
				}
			}
		}()
	}
	replicas := func() string {
		out, _ := s.kubectl(33, "", "get", "hpa", "busy", "-o", "jsonpath={.status.currentReplicas} {.status.currentMetrics[0].resource.current.averageUtilization}")
		return out
	}
	eventually(t, 3*time.Minute, "HPA scales busy to >= 3 under load", func() (bool, string) {
		r := replicas()
		return strings.HasPrefix(r, "3 ") || strings.HasPrefix(r, "4 "), r
	})
	close(stop)
	eventually(t, 3*time.Minute, "HPA scales busy back to 1", func() (bool, string) {
		r := replicas()
		return strings.HasPrefix(r, "1 "), r
	})
	s.mustKubectl(33, "", "delete", "hpa/busy", "deploy/busy", "svc/busy", "--wait=true")
}

// chartArchive is a one-template chart: a ConfigMap holding .Values.greeting.
func chartArchive(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{
		"shoal-demo/Chart.yaml":        "apiVersion: v2\nname: shoal-demo\nversion: 0.1.0\n",
		"shoal-demo/values.yaml":       "greeting: hello\n",
		"shoal-demo/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
	} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// checkHelmChart: a HelmChart from a local .tgz in the manifests dir
// installs; a changed value upgrades it; removing it uninstalls.
func checkHelmChart(t *testing.T, s *server, dir string) {
	manifests := filepath.Join(dir, "server", "manifests")
	if err := os.WriteFile(filepath.Join(manifests, "shoal-demo-0.1.0.tgz"), chartArchive(t), 0o600); err != nil {
		t.Fatal(err)
	}
	hc := func(set string) string {
		return "apiVersion: helm.cattle.io/v1\nkind: HelmChart\nmetadata: {name: demo, namespace: kube-system}\nspec:\n" +
			"  chart: shoal-demo-0.1.0.tgz\n  targetNamespace: demo\n  valuesContent: |\n    greeting: from-values\n" + set
	}
	greeting := func() string {
		out, _ := s.kubectl(33, "", "-n", "demo", "get", "cm", "demo-cm", "-o", "jsonpath={.data.greeting}")
		return out
	}
	writeFile(t, filepath.Join(manifests, "demo.yaml"), hc(""))
	revision := func() int {
		out, _ := s.kubectl(33, "", "-n", "kube-system", "get", "helmchart", "demo", "-o", "jsonpath={.status.revision}")
		var n int
		fmt.Sscan(out, &n)
		return n
	}
	eventually(t, 90*time.Second, "chart installed with valuesContent", func() (bool, string) {
		g := greeting()
		return g == "from-values" && revision() > 0, g
	})
	installed := revision()
	writeFile(t, filepath.Join(manifests, "demo.yaml"), hc("  set: {greeting: upgraded}\n"))
	eventually(t, 60*time.Second, "changed value upgrades the release", func() (bool, string) {
		g, rev := greeting(), revision()
		return g == "upgraded" && rev > installed, fmt.Sprintf("%s rev %d (installed as %d)", g, rev, installed)
	})
	os.Remove(filepath.Join(manifests, "demo.yaml"))
	eventually(t, 60*time.Second, "removed HelmChart uninstalls the release", func() (bool, string) {
		_, err := s.kubectl(33, "", "-n", "demo", "get", "cm", "demo-cm")
		return err != nil, ""
	})
}
