// Command conformance-report turns the JUnit file of a conformance run
// (ginkgo --junit-report) into the report committed under
// docs/conformance/: README.md (date, versions, duration, the summary line
// `N passed, N failed, N skipped`, every failure with its one-line cause
// and the note kept for it in docs/conformance/notes.tsv) and
// junit.xml holding the [Conformance] test cases only.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.junit, "junit", "", "ginkgo's JUnit report")
	flag.StringVar(&o.out, "out", "", "report directory, e.g. docs/conformance/v1.37.2-parallel")
	flag.StringVar(&o.mode, "mode", "parallel", "parallel (the [Serial] tests left out) or serial (only those)")
	flag.StringVar(&o.notes, "notes", "docs/conformance/notes.tsv", "known failures: test name substring, TAB, note")
	flag.IntVar(&o.seconds, "seconds", 0, "duration of the run")
	flag.IntVar(&o.procs, "procs", 1, "ginkgo processes")
	flag.StringVar(&o.kubernetes, "kubernetes", "", "Kubernetes version of the suite")
	flag.StringVar(&o.shoal, "shoal", "", "shoal version")
	flag.Parse()
	if o.junit == "" || o.out == "" {
		fmt.Fprintln(os.Stderr, "conformance-report: -junit and -out are required")
		os.Exit(2)
	}
	if err := run(o, time.Now().UTC()); err != nil {
		fmt.Fprintln(os.Stderr, "conformance-report:", err)
		os.Exit(1)
	}
}

type options struct {
	junit, out, mode, notes, kubernetes, shoal string
	seconds, procs                             int
}

func run(o options, now time.Time) error {
	suites, err := readJUnit(o.junit)
	if err != nil {
		return err
	}
	notes, err := readNotes(o.notes)
	if err != nil {
		return err
	}
	r := summarize(suites, o.mode)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if err := writeJUnit(filepath.Join(o.out, "junit.xml"), r); err != nil {
		return err
	}
	md := markdown(r, notes, o, now)
	if err := os.WriteFile(filepath.Join(o.out, "README.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Println(r.line())
	return nil
}
