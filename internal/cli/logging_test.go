package cli

import (
	"bytes"
	"testing"
)

// Informational entries reach stderr only when asked for; the file gets
// every entry.
func TestSeverityWriterSortsEntries(t *testing.T) {
	entries := []string{
		"I1129 22:31:11.821532   16199 controller.go:95] \"Shutting down\"\n",
		"W1129 22:31:11.821532   16199 reflector.go:1] watch ended\n",
		"E1129 22:31:12.358245   16199 remote_runtime.go:435] \"failed\" err=<\n\tline one\n\tline two\n >\n",
	}
	for _, infos := range []bool{false, true} {
		var stderr, file bytes.Buffer
		w := &severityWriter{stderr: &stderr, file: &file, infos: infos}
		for _, e := range entries {
			if n, err := w.Write([]byte(e)); err != nil || n != len(e) {
				t.Fatalf("write %d, %v", n, err)
			}
		}
		want := entries[1] + entries[2]
		if infos {
			want = entries[0] + want
		}
		if stderr.String() != want {
			t.Errorf("infos=%v: stderr\n%s", infos, stderr.String())
		}
		if file.String() != entries[0]+entries[1]+entries[2] {
			t.Errorf("infos=%v: file\n%s", infos, file.String())
		}
	}
	noFile := &severityWriter{stderr: &bytes.Buffer{}}
	if _, err := noFile.Write([]byte("I1129 x\n")); err != nil {
		t.Errorf("a writer without a file: %v", err)
	}
}
