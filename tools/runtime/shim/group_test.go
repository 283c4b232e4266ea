package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func writeSpec(t *testing.T, annotations map[string]string) string {
	t.Helper()
	spec := map[string]any{"ociVersion": "1.2.1", "process": map[string]any{"args": []string{"/pause"}}, "hostname": "x"}
	if annotations != nil {
		spec["annotations"] = annotations
	}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, b, 0o444); err != nil {
		t.Fatal(err)
	}
	return path
}

func readAnnotations(t *testing.T, path string) (map[string]string, map[string]json.RawMessage) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	a := map[string]string{}
	if raw, ok := spec["annotations"]; ok {
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatal(err)
		}
	}
	return a, spec
}

func TestAssignGroupPutsAPodsContainersInOneShim(t *testing.T) {
	pause := writeSpec(t, map[string]string{sandboxAnnotation: "sb1", "io.kubernetes.cri.container-type": "sandbox"})
	app := writeSpec(t, map[string]string{sandboxAnnotation: "sb1", "io.kubernetes.cri.container-type": "container"})
	for _, p := range []string{pause, app} {
		if err := assignGroup(p, 4); err != nil {
			t.Fatal(err)
		}
	}
	a1, spec := readAnnotations(t, pause)
	a2, _ := readAnnotations(t, app)
	if a1[groupAnnotation] == "" || a1[groupAnnotation] != a2[groupAnnotation] {
		t.Fatalf("pause in %q, container in %q: want one shared group", a1[groupAnnotation], a2[groupAnnotation])
	}
	if a1["io.kubernetes.cri.container-type"] != "sandbox" || string(spec["hostname"]) != `"x"` {
		t.Fatalf("other fields changed: %v", spec)
	}
	info, err := os.Stat(pause)
	if err != nil || info.Mode().Perm() != 0o444 {
		t.Fatalf("mode not kept: %v %v", info.Mode(), err)
	}
}

func TestAssignGroupSpreadsPodsOverNShims(t *testing.T) {
	seen := map[string]bool{}
	for _, sb := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		seen[groupOf(sb, 3)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("12 pods over 3 shims used %d groups: %v", len(seen), seen)
	}
}

func TestAssignGroupLeavesOtherSpecsAlone(t *testing.T) {
	for name, a := range map[string]map[string]string{
		"not a CRI container": nil,
		"group already named": {sandboxAnnotation: "sb1", groupAnnotation: "mine"},
	} {
		p := writeSpec(t, a)
		before, _ := os.ReadFile(p)
		if err := assignGroup(p, 4); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after, _ := os.ReadFile(p)
		if string(before) != string(after) {
			t.Fatalf("%s: spec rewritten:\n%s\n%s", name, before, after)
		}
	}
}

func TestAssignGroupRefusesABrokenSpec(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := assignGroup(p, 4); err == nil {
		t.Fatal("a broken spec was accepted")
	}
	if _, err := groups("two"); err == nil {
		t.Fatal("SHOAL_SHIM_GROUPS=two was accepted")
	}
	if n, err := groups(""); err != nil || n != 0 {
		t.Fatalf("unset: %d %v", n, err)
	}
}
