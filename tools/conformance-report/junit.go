package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"sort"
	"strings"
)

// The parts of ginkgo's JUnit format the report reads and writes.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      float64     `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Status    string        `xml:"status,attr"`
	Time      float64       `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped"`
	Failure   *junitMessage `xml:"failure"`
	Error     *junitMessage `xml:"error"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func readJUnit(path string) ([]junitSuite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s junitSuites
	if err := xml.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: not a JUnit report: %w", path, err)
	}
	return s.Suites, nil
}

// result is one run's [Conformance] test cases, sorted by name, and the
// suite-level failures (BeforeSuite and the like) that explain them.
type result struct {
	Cases        []junitCase
	SuiteFailure []junitCase
	Passed       int
	Failed       int
	Skipped      int
}

func (r result) line() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", r.Passed, r.Failed, r.Skipped)
}

// summarize keeps the [Conformance] cases of the mode: the parallel run
// leaves the [Serial] ones to the serial run.
func summarize(suites []junitSuite, mode string) result {
	var r result
	for _, s := range suites {
		for _, c := range s.Cases {
			if !strings.Contains(c.Name, "[Conformance]") {
				if failed(c) {
					r.SuiteFailure = append(r.SuiteFailure, c)
				}
				continue
			}
			if strings.Contains(c.Name, "[Serial]") != (mode == "serial") {
				continue
			}
			switch {
			case failed(c):
				r.Failed++
			case c.Skipped != nil || c.Status == "skipped" || c.Status == "pending":
				r.Skipped++
			default:
				r.Passed++
			}
			r.Cases = append(r.Cases, c)
		}
	}
	sort.Slice(r.Cases, func(i, j int) bool { return r.Cases[i].Name < r.Cases[j].Name })
	return r
}

func failed(c junitCase) bool {
	return c.Failure != nil || c.Error != nil ||
		c.Status == "failed" || c.Status == "panicked" || c.Status == "timedout" || c.Status == "interrupted" || c.Status == "aborted"
}

// cause is the first meaningful line of a failure.
func cause(c junitCase) string {
	for _, m := range []*junitMessage{c.Failure, c.Error} {
		if m == nil {
			continue
		}
		for _, text := range []string{m.Message, m.Text} {
			for _, l := range strings.Split(text, "\n") {
				for _, p := range []string{"[FAILED]", "[PANICKED]", "[TIMEDOUT]", "[INTERRUPTED]"} {
					l = strings.TrimPrefix(strings.TrimSpace(l), p)
				}
				if l = strings.TrimSpace(l); l != "" {
					return clip(l, 220)
				}
			}
		}
	}
	return c.Status
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// writeJUnit writes the kept cases as one suite, causes clipped: the
// committed report stays small and diffable.
func writeJUnit(path string, r result) error {
	s := junitSuite{Name: "Kubernetes e2e suite [Conformance]", Tests: len(r.Cases), Failures: r.Failed, Skipped: r.Skipped}
	for _, c := range r.Cases {
		s.Time += c.Time
		if c.Failure != nil {
			c.Failure = &junitMessage{Message: cause(c), Type: c.Failure.Type}
		}
		if c.Error != nil {
			c.Error = &junitMessage{Message: cause(c), Type: c.Error.Type}
		}
		if c.Skipped != nil {
			c.Skipped = &junitMessage{Message: clip(c.Skipped.Message, 220)}
		}
		s.Cases = append(s.Cases, c)
	}
	b, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{s}}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}
