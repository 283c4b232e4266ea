package loadbalancer

import (
	"context"
	"io"
	"net"
	"testing"
)

// echoServer answers every connection with its name and closes.
func echoServer(t *testing.T, name string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(name))
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func ask(t *testing.T, addr string) string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestFailsOverAndFollowsTheList(t *testing.T) {
	dead := "127.0.0.1:1" // nothing listens on port 1
	a, b := echoServer(t, "a"), echoServer(t, "b")
	var stored []string
	lb := New("127.0.0.1:0", []string{dead, a}, func(s []string) error { stored = s; return nil })
	if err := lb.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer lb.Stop(context.Background())
	addr := lb.ln.Addr().String()
	if got := ask(t, addr); got != "a" {
		t.Fatalf("with the first server down got %q, want a", got)
	}
	if err := lb.SetServers([]string{b, a}); err != nil || len(stored) != 2 {
		t.Fatalf("SetServers: %v, stored %v", err, stored)
	}
	if got := ask(t, addr); got != "a" {
		t.Errorf("the answering server should stay first; got %q", got)
	}
	if err := lb.SetServers([]string{b}); err != nil {
		t.Fatal(err)
	}
	if got := ask(t, addr); got != "b" {
		t.Errorf("after the address change got %q, want b", got)
	}
}
