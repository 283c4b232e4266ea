package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"
)

// note is what the team knows about a failure: a substring of the test
// name and a note (the cause found, the issue to file).
type note struct{ match, text string }

// readNotes reads NAME-SUBSTRING<TAB>NOTE lines; # starts a comment. A
// missing file is no notes.
func readNotes(path string) ([]note, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var notes []note
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		m, t, ok := strings.Cut(l, "\t")
		if !ok || m == "" || strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("%s:%d: want TEST-NAME-SUBSTRING<TAB>NOTE", path, n)
		}
		notes = append(notes, note{m, strings.TrimSpace(t)})
	}
	return notes, sc.Err()
}

func noteFor(notes []note, name string) string {
	for _, n := range notes {
		if strings.Contains(name, n.match) {
			return n.text
		}
	}
	return "no note yet: to investigate"
}

func markdown(r result, notes []note, o options, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Conformance %s, %s run\n\n", o.kubernetes, o.mode)
	fmt.Fprintf(&b, "**%s** (of %d [Conformance] tests in this run)\n\n", r.line(), len(r.Cases))
	fmt.Fprintf(&b, "- date: %s\n- shoal: %s\n- suite: upstream e2e.test %s (tools/e2e), ginkgo --procs=%d\n",
		now.Format("2006-01-02"), o.shoal, o.kubernetes, o.procs)
	fmt.Fprintf(&b, "- duration: %s\n", time.Duration(o.seconds)*time.Second)
	b.WriteString("- cluster: `shoal server` + `shoal agent` in two network namespaces on one 2-core VM, " +
		"every image built from source and imported air-gapped (`make conformance`)\n\n")
	if len(r.SuiteFailure) > 0 {
		b.WriteString("## Suite-level failures\n\n")
		for _, c := range r.SuiteFailure {
			fmt.Fprintf(&b, "- %s: %s\n", c.Name, cause(c))
		}
		b.WriteString("\n")
	}
	b.WriteString("## Failures\n\n")
	if r.Failed == 0 {
		b.WriteString("None.\n")
	} else {
		b.WriteString("| test | cause (first line) | note |\n|---|---|---|\n")
		for _, c := range r.Cases {
			if failed(c) {
				fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(c.Name), cell(cause(c)), cell(noteFor(notes, c.Name)))
			}
		}
	}
	b.WriteString("\nEvery case with its status and time: [junit.xml](junit.xml); the run's log: e2e.log.gz.\n")
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
