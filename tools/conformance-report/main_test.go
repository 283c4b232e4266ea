package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A ginkgo JUnit report as e2e.test writes it: conformance and other
// cases, one failed, one skipped, one filtered serial case, a suite node.
const sample = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="6" disabled="0" errors="0" failures="2" time="100">
  <testsuite name="Kubernetes e2e suite" package="/e2e" tests="6" failures="2" skipped="2" time="100" timestamp="2026-11-24T05:00:00">
    <testcase name="[SynchronizedBeforeSuite]" classname="Kubernetes e2e suite" status="passed" time="1"></testcase>
    <testcase name="[sig-node] Pods should get a host IP [NodeConformance] [Conformance]" classname="Kubernetes e2e suite" status="passed" time="5"></testcase>
    <testcase name="[sig-network] DNS should provide DNS for services  [Conformance]" classname="Kubernetes e2e suite" status="failed" time="300">
      <failure message="[FAILED] timed out&#xA;waiting for DNS | results" type="failed">[FAILED] timed out
waiting for DNS results
In [It] at: dns_common.go:455</failure>
    </testcase>
    <testcase name="[sig-apps] Daemon set [Serial] should rollback [Conformance]" classname="Kubernetes e2e suite" status="skipped" time="0"><skipped message="skipped"></skipped></testcase>
    <testcase name="[sig-storage] CSI Mock volume" classname="Kubernetes e2e suite" status="skipped" time="0"><skipped message="skipped"></skipped></testcase>
    <testcase name="[sig-cli] Kubectl client Proxy server should support --unix-socket=/path [Conformance]" classname="Kubernetes e2e suite" status="skipped" time="0"><skipped message="skipped - needs two nodes"></skipped></testcase>
  </testsuite>
</testsuites>`

func TestReportCountsTheModesConformanceCases(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "junit.xml")
	notes := filepath.Join(dir, "notes.tsv")
	if err := os.WriteFile(in, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notes, []byte("# known\nDNS should provide DNS for services\tthe querier image lacks dig\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report")
	o := options{junit: in, out: out, mode: "parallel", notes: notes, seconds: 3725, procs: 4, kubernetes: "v1.37.2", shoal: "shoal v0.9"}
	if err := run(o, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "README.md"))
	for _, want := range []string{
		"**1 passed, 1 failed, 1 skipped** (of 3 [Conformance] tests",
		"- date: 2026-11-24", "1h2m5s",
		`| timed out | the querier image lacks dig |`,
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("README.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "Daemon set") {
		t.Error("the parallel report counts a [Serial] case")
	}
	back, err := readJUnit(filepath.Join(out, "junit.xml"))
	if err != nil || len(back) != 1 || len(back[0].Cases) != 3 || back[0].Failures != 1 {
		t.Fatalf("written junit: %+v %v", back, err)
	}

	o.mode, o.out = "serial", filepath.Join(dir, "serial")
	if err := run(o, time.Now()); err != nil {
		t.Fatal(err)
	}
	md, _ = os.ReadFile(filepath.Join(o.out, "README.md"))
	if !strings.Contains(string(md), "**0 passed, 0 failed, 1 skipped**") {
		t.Errorf("serial report:\n%s", md)
	}
}

func TestReportRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(bad, []byte("not xml"), 0o644)
	if err := run(options{junit: bad, out: filepath.Join(dir, "o")}, time.Now()); err == nil || !strings.Contains(err.Error(), "bad.xml: not a JUnit report") {
		t.Fatalf("want an error naming the file, got %v", err)
	}
	notes := filepath.Join(dir, "notes.tsv")
	os.WriteFile(notes, []byte("no tab here\n"), 0o644)
	if _, err := readNotes(notes); err == nil || !strings.Contains(err.Error(), "notes.tsv:1:") {
		t.Fatalf("want an error naming the line, got %v", err)
	}
}
