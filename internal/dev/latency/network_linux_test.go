//go:build linux && (amd64 || arm64)

package main

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/org/aws-oidc-go/internal/dev/harness"
)

// TestNetworkDelaysRealConnections builds the benchmark's network and
// makes a TCP connection through it: the connection takes at least one
// round trip, an echo at least one more, and the line saw one SYN.
func TestNetworkDelaysRealConnections(t *testing.T) {
	if why := supported(); why != "" {
		harness.Require(t, errors.New(why))
	}
	const hold = 15 * time.Millisecond // each way: RTT 30 ms
	ep := netip.MustParseAddr("198.18.1.2")
	n, err := newNetwork([]Endpoint{{Name: "echo", IP: ep, Hold: hold}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ln, err := n.Listen(netip.AddrPortFrom(ep, 7).String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peers := make(chan string, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case peers <- c.RemoteAddr().String():
			default:
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()

	var conn net.Conn
	t0 := time.Now()
	if err := n.in(n.client, func() (err error) {
		conn, err = net.DialTimeout("tcp4", netip.AddrPortFrom(ep, 7).String(), 5*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if took := time.Since(t0); took < 2*hold {
		t.Errorf("connecting took %v, less than the round trip %v", took, 2*hold)
	}
	t1 := time.Now()
	if _, err := conn.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
	if took := time.Since(t1); took < 2*hold {
		t.Errorf("the echo took %v, less than the round trip %v", took, 2*hold)
	}
	if got := n.line.Stats()[0].SYNs; got != 1 {
		t.Errorf("the line counted %d SYNs for one connection, want 1", got)
	}

	select {
	case from := <-peers:
		if want := clientAddr; !strings.HasPrefix(from, want+":") {
			t.Errorf("the server saw the connection from %s, want the client namespace's %s", from, want)
		}
	case <-time.After(5 * time.Second):
		t.Error("the server accepted nothing")
	}
}

func TestLaunchRefusesTheBenchmarksOwnNamespaces(t *testing.T) {
	t.Parallel()
	home, err := namespaceIDs()
	if err != nil {
		t.Fatal(err)
	}
	// Were the check missing, the bind would fail anyway: the sources do
	// not exist.
	missing := t.TempDir() + "/missing"
	err = launch(home, missing, missing, []string{"/bin/true"}, os.Environ())
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("launch in the benchmark's own namespaces: %v, want a refusal", err)
	}
}
