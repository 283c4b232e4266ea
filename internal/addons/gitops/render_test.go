package gitops

import (
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// commitFiles makes an in-memory repository with one commit of files.
func commitFiles(t *testing.T, files map[string]string) *object.Commit {
	t.Helper()
	fs := memfs.New()
	repo, err := git.Init(memory.NewStorage(), fs)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		f, cerr := fs.Create(name)
		if cerr != nil {
			t.Fatal(cerr)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if _, err := wt.Add(name); err != nil {
			t.Fatal(err)
		}
	}
	h, err := wt.Commit("test", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@t", When: time.Unix(0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(h)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func names(items []item) string {
	var out []string
	for _, it := range items {
		out = append(out, it.file+":"+it.obj.GetKind()+"/"+it.obj.GetName())
	}
	return strings.Join(out, " ")
}

// TestRenderKinds: plain files, a Helm chart with target values, a
// kustomize base with a per-target overlay.
func TestRenderKinds(t *testing.T) {
	c := commitFiles(t, map[string]string{
		"plain/a.yaml":                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
		"plain/notes.txt":                 "ignored",
		"chart/Chart.yaml":                "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
		"chart/values.yaml":               "size: small\n",
		"chart/templates/cm.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-{{ .Values.size }}}\n",
		"chart/templates/NOTES.txt":       "hello",
		"kust/base/kustomization.yaml":    "resources: [cm.yaml]\n",
		"kust/base/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: k}\n",
		"kust/kustomization.yaml":         "resources: [base]\n",
		"kust/edge/kustomization.yaml":    "resources: [../base]\nnamePrefix: edge-\n",
		"broken/x.yaml":                   "kind: [\n",
		"rejected/missing-kind/file.yaml": "apiVersion: v1\nmetadata: {name: x}\n",
	})
	items, err := render(c, []string{"plain", "chart", "kust", "gone"}, Target{Name: "default"}, "default")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(items), "plain/a.yaml:ConfigMap/a plain/a.yaml:ConfigMap/b chart/templates/cm.yaml:ConfigMap/chart-small kust/kustomization.yaml:ConfigMap/k"; got != want {
		t.Errorf("rendered\n %s\nwant\n %s", got, want)
	}
	edge := Target{Name: "edge", Helm: &HelmOptions{ReleaseName: "demo", Values: map[string]any{"size": "large"}}, Kustomize: &KustomizeOptions{Dir: "edge"}}
	items, err = render(c, []string{"chart", "kust"}, edge, "default")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(items), "chart/templates/cm.yaml:ConfigMap/demo-large kust/edge/kustomization.yaml:ConfigMap/edge-k"; got != want {
		t.Errorf("with overlays\n %s\nwant\n %s", got, want)
	}
	for path, want := range map[string]string{"broken": "broken/x.yaml: document 1:", "rejected": "rejected/missing-kind/file.yaml: document 1: apiVersion and kind are required"} {
		if _, err := render(c, []string{path}, Target{}, "default"); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("render %s: %v, want %q…", path, err, want)
		}
	}
}

func TestMatchFirstTarget(t *testing.T) {
	targets := []Target{
		{Name: "edge", ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "edge"}}},
		{ClusterSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: metav1.LabelSelectorOpExists}}}},
	}
	for labels, want := range map[string]string{"edge": "edge", "lab": "target-1", "": ""} {
		l := map[string]string{}
		if labels != "" {
			l["env"] = labels
		}
		got, ok, err := match(targets, l)
		if err != nil || ok != (want != "") || got.Name != want {
			t.Errorf("labels env=%s: %q %t %v, want %q", labels, got.Name, ok, err, want)
		}
	}
	if got, ok, _ := match(nil, nil); !ok || got.Name != "default" {
		t.Errorf("no targets: %q %t", got.Name, ok)
	}
}
