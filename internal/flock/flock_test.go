package flock

import (
	"strings"
	"testing"
)

func TestSecondHolderIsRefusedUntilRelease(t *testing.T) {
	dir := t.TempDir()
	release, err := Acquire(dir, "--data-dir", "another shoal server")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir, "--data-dir", "another shoal server"); err == nil || !strings.Contains(err.Error(), "another shoal server is using it") {
		t.Fatalf("second lock: %v", err)
	}
	release()
	r2, err := Acquire(dir, "--data-dir", "x")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	r2()
}
