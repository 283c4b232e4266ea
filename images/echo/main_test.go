package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

func TestHandler(t *testing.T) {
	var draining atomic.Bool
	h := handler("v2", "web-abc", &draining)
	for path, want := range map[string]string{"/": "shoal-echo v2 web-abc\n", "/healthz": "ok\n"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || rec.Body.String() != want {
			t.Errorf("GET %s = %d %q, want %q", path, rec.Code, rec.Body.String(), want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
	if rec.Code != 404 {
		t.Errorf("GET /nope = %d", rec.Code)
	}
	draining.Store(true)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 503 {
		t.Errorf("GET /healthz while draining = %d, want 503", rec.Code)
	}
}

func TestToolWritesAndReadsAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "f")
	if rc := tool([]string{"-write", f, "kept"}); rc != 0 {
		t.Fatalf("-write rc %d", rc)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != "kept" {
		t.Fatalf("file: %q %v", b, err)
	}
	if rc := tool([]string{"-cat", filepath.Join(t.TempDir(), "missing")}); rc != 1 {
		t.Fatalf("-cat of a missing file rc %d", rc)
	}
}
