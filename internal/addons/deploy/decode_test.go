package deploy

import (
	"strings"
	"testing"
)

func TestDecodeSplitsDocumentsAndNamesTheBadOne(t *testing.T) {
	objs, err := Decode([]byte(`
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Secret, metadata: {name: b}}
- {apiVersion: v1, kind: Namespace, metadata: {name: c}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetName())
	}
	if strings.Join(got, ",") != "ConfigMap/a,Secret/b,Namespace/c" {
		t.Fatalf("objects: %v", got)
	}
	for in, want := range map[string]string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [": "document 2",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n":                    "metadata.name is required",
		"metadata: {name: x}\n": "apiVersion and kind are required",
	} {
		if _, err := Decode([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestRemovedRefs(t *testing.T) {
	a := Ref{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "a"}
	b := Ref{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "b"}
	if got := removed([]Ref{a, b}, []Ref{b}); len(got) != 1 || got[0] != a {
		t.Fatalf("removed = %v", got)
	}
}
