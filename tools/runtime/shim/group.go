package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
)

// Annotations the runc shim reads (in this order) to pick its group.
const (
	groupAnnotation   = "io.containerd.runc.v2.group"
	sandboxAnnotation = "io.kubernetes.cri.sandbox-id"
)

// groupOf is the shared shim of the pod with sandbox ID sandbox.
func groupOf(sandbox string, n int) string {
	h := fnv.New32a()
	h.Write([]byte(sandbox))
	return fmt.Sprintf("shoal-pods-%d", h.Sum32()%uint32(n))
}

// assignGroup adds the group annotation to the OCI spec at path when it
// belongs to a CRI pod and names no group yet; other specs (containers
// started outside the CRI) keep their own shim. Only the annotations are
// touched: every other field is written back byte for byte.
func assignGroup(path string, n int) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	annotations := map[string]string{}
	if a, ok := spec["annotations"]; ok {
		if err := json.Unmarshal(a, &annotations); err != nil {
			return fmt.Errorf("%s: annotations: %w", path, err)
		}
	}
	sandbox, ok := annotations[sandboxAnnotation]
	if _, grouped := annotations[groupAnnotation]; grouped || !ok {
		return nil
	}
	annotations[groupAnnotation] = groupOf(sandbox, n)
	if spec["annotations"], err = json.Marshal(annotations); err != nil {
		return err
	}
	out, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return replace(path, out)
}

// replace writes b to path through a temporary file and a rename, so a
// crash leaves the old spec or the new one, never half of either. (shoal's
// internal/atomicfile does the same but is out of reach: tools/runtime is
// a module of its own, to keep the shim small.)
func replace(path string, b []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
