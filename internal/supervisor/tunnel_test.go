package supervisor

import (
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"testing"
	"time"
)

// TestNewTunnelReplacesOld: a node's second tunnel closes its first (which
// may be dead without the server knowing), and another node's is left alone.
func TestNewTunnelReplacesOld(t *testing.T) {
	tun := &tunnels{report: t.Logf, entered: map[string]bool{}, current: map[string]net.Conn{}}
	connect := func(node string) (server, agent net.Conn) {
		server, agent = net.Pipe()
		r := httptest.NewRequest("GET", "/v1-shoal/connect", nil)
		tun.connected(node, r.WithContext(withConn(r.Context(), server)))
		return server, agent
	}
	closed := func(agent net.Conn) bool {
		// An open pipe would block the read: a deadline makes it fail instead.
		_ = agent.SetReadDeadline(time.Now().Add(time.Second))
		_, err := agent.Read(make([]byte, 1))
		return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe)
	}
	_, firstAgent := connect("n1")
	otherServer, _ := connect("n2")
	secondServer, _ := connect("n1")
	if !closed(firstAgent) {
		t.Error("n1's first tunnel is still open after its second connected")
	}
	if tun.current["n1"] != secondServer || tun.current["n2"] != otherServer {
		t.Errorf("current tunnels %v", tun.current)
	}
}
