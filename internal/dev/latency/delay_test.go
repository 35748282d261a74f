package main

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeDevice is a Device in memory: Read returns what the test feeds in,
// Write hands the packet and its arrival time to the test.
type fakeDevice struct {
	in     chan []byte
	out    chan arrival
	closed chan struct{}
}

type arrival struct {
	b  []byte
	at time.Time
}

func newFakeDevice() *fakeDevice {
	return &fakeDevice{in: make(chan []byte), out: make(chan arrival, 1024), closed: make(chan struct{})}
}

func (d *fakeDevice) Read(p []byte) (int, error) {
	select {
	case b := <-d.in:
		return copy(p, b), nil
	case <-d.closed:
		return 0, os.ErrClosed
	}
}

func (d *fakeDevice) Write(p []byte) (int, error) {
	select {
	case <-d.closed:
		return 0, os.ErrClosed
	default:
	}
	d.out <- arrival{b: append([]byte(nil), p...), at: time.Now()}
	return len(p), nil
}

func (d *fakeDevice) Close() { close(d.closed) }

// recv waits for the next packet written to d.
func (d *fakeDevice) recv(t *testing.T) arrival {
	t.Helper()
	select {
	case a := <-d.out:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no packet delivered within 5 s")
		return arrival{}
	}
}

const (
	tcpSYN = 0x02
	tcpACK = 0x10
	tcpPSH = 0x08
)

// clientIP is the client's address; tokenIP and stsIP the benchmark's.
var clientIP = netip.MustParseAddr(clientAddr)

// tcpPacket is an IPv4 packet carrying a TCP header with flags and payload.
func tcpPacket(src, dst netip.Addr, flags byte, payload ...byte) []byte {
	b := make([]byte, 20+20, 40+len(payload))
	b[0] = 0x45
	total := 40 + len(payload)
	b[2], b[3] = byte(total>>8), byte(total)
	b[8], b[9] = 64, 6
	s, d := src.As4(), dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	b[20+12] = 5 << 4
	b[20+13] = flags
	return append(b, payload...)
}

func startLine(t *testing.T, eps []Endpoint) (*Line, *fakeDevice, *fakeDevice) {
	t.Helper()
	l := NewLine(eps)
	client, server := newFakeDevice(), newFakeDevice()
	done := make(chan error, 1)
	go func() { done <- l.Run(client, server) }()
	t.Cleanup(func() {
		client.Close()
		server.Close()
		select {
		case err := <-done:
			if !errors.Is(err, os.ErrClosed) {
				t.Errorf("Run ended with %v, want os.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not end after its devices closed")
		}
	})
	return l, client, server
}

func TestLineHoldsEachPacketForItsEndpointsDelay(t *testing.T) {
	t.Parallel()
	// Far apart, so that the order holds on a loaded machine too.
	const tokenHold, stsHold = 10 * time.Millisecond, 400 * time.Millisecond
	_, client, server := startLine(t, []Endpoint{
		{Name: "token", IP: tokenIP, Hold: tokenHold},
		{Name: "sts", IP: stsIP, Hold: stsHold},
	})

	// Up, toward STS and then the token service, sent back to back: each
	// is held at least its own endpoint's delay, so the later packet to
	// the nearer endpoint arrives first.
	sent := time.Now()
	client.in <- tcpPacket(clientIP, stsIP, tcpACK|tcpPSH, 's')
	client.in <- tcpPacket(clientIP, tokenIP, tcpACK|tcpPSH, 't')
	first, second := server.recv(t), server.recv(t)
	if got := first.b[len(first.b)-1]; got != 't' {
		t.Errorf("first delivered packet carries %q, want the token service's ('t') before STS's", got)
	}
	if held := first.at.Sub(sent); held < tokenHold {
		t.Errorf("packet to the token service delivered after %v, want at least %v", held, tokenHold)
	}
	if held := second.at.Sub(sent); held < stsHold {
		t.Errorf("packet to STS delivered after %v, want at least %v", held, stsHold)
	}

	// Down, from STS to the client: held by the source's delay.
	sent = time.Now()
	server.in <- tcpPacket(stsIP, clientIP, tcpACK, 'r')
	back := client.recv(t)
	if held := back.at.Sub(sent); held < stsHold {
		t.Errorf("packet from STS delivered after %v, want at least %v", held, stsHold)
	}
	if !bytes.Equal(back.b, tcpPacket(stsIP, clientIP, tcpACK, 'r')) {
		t.Error("the delivered packet differs from the one sent")
	}
}

func TestLineDeliversInOrder(t *testing.T) {
	t.Parallel()
	_, client, server := startLine(t, []Endpoint{{Name: "sts", IP: stsIP, Hold: 3 * time.Millisecond}})
	const n = 300
	go func() {
		for i := 0; i < n; i++ {
			client.in <- tcpPacket(clientIP, stsIP, tcpACK, byte(i>>8), byte(i))
			if i%50 == 0 {
				time.Sleep(time.Millisecond) // some packets while others are held
			}
		}
	}()
	for i := 0; i < n; i++ {
		a := server.recv(t)
		got := int(a.b[len(a.b)-2])<<8 | int(a.b[len(a.b)-1])
		if got != i {
			t.Fatalf("packet %d delivered as number %d: out of order", got, i)
		}
	}
}

func TestLineCounts(t *testing.T) {
	t.Parallel()
	l, client, server := startLine(t, []Endpoint{
		{Name: "token", IP: tokenIP, Hold: time.Millisecond},
		{Name: "sts", IP: stsIP, Hold: time.Millisecond},
	})
	ipv6 := make([]byte, 40)
	ipv6[0] = 0x60
	up := [][]byte{
		tcpPacket(clientIP, stsIP, tcpSYN),                            // connection 1 to STS
		tcpPacket(clientIP, stsIP, tcpACK),                            // its handshake's last ACK
		tcpPacket(clientIP, stsIP, tcpACK|tcpPSH, 1, 2, 3),            // data
		tcpPacket(clientIP, stsIP, tcpSYN),                            // connection 2 to STS
		tcpPacket(clientIP, tokenIP, tcpSYN),                          // connection 1 to the token service
		tcpPacket(clientIP, tokenIP, tcpSYN|tcpACK),                   // a SYN-ACK is no new connection
		tcpPacket(clientIP, netip.MustParseAddr("192.0.2.9"), tcpSYN), // nobody's: dropped
		ipv6, // not IPv4: dropped
	}
	down := [][]byte{
		tcpPacket(stsIP, clientIP, tcpSYN|tcpACK),
		tcpPacket(tokenIP, clientIP, tcpSYN|tcpACK),
	}
	sent := time.Now()
	for _, p := range up {
		client.in <- p
	}
	for _, p := range down {
		server.in <- p
	}
	for range 6 {
		server.recv(t)
	}
	for range 2 {
		client.recv(t)
	}
	// Delivered is counted just after the write the test saw.
	deadline := time.Now().Add(5 * time.Second)
	for sum(l.Stats()) < 8 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	want := []Stats{
		{SYNs: 1, PacketsUp: 2, PacketsDown: 1, BytesUp: 80, BytesDown: 40, Delivered: 3},
		{SYNs: 2, PacketsUp: 4, PacketsDown: 1, BytesUp: 163, BytesDown: 40, Delivered: 5},
	}
	if diff := cmp.Diff(want, l.Stats(), cmpopts.IgnoreFields(Stats{}, "Held")); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	for i, s := range l.Stats() {
		if s.Held < time.Duration(s.Delivered)*time.Millisecond {
			t.Errorf("endpoint %d: %d packets held %v in all, less than their 1 ms each", i, s.Delivered, s.Held)
		}
	}
	// The SYNs' times, in the order they were read; none beyond them.
	first, ok1 := l.SYNTime(1, 0)
	second, ok2 := l.SYNTime(1, 1)
	if !ok1 || !ok2 || second.Before(first) || first.Before(sent) {
		t.Errorf("STS SYN times %v (%v), %v (%v): want both, in order, after %v", first, ok1, second, ok2, sent)
	}
	if _, ok := l.SYNTime(1, 2); ok {
		t.Error("SYNTime(1, 2) exists: only two SYNs went to STS")
	}
	if _, ok := l.SYNTime(0, 0); !ok {
		t.Error("SYNTime(0, 0) missing: one SYN went to the token service")
	}
	if got := l.Dropped(); got != 2 {
		t.Errorf("Dropped() = %d, want 2 (an unknown address and an IPv6 packet)", got)
	}
}

func sum(ss []Stats) int64 {
	var n int64
	for _, s := range ss {
		n += s.Delivered
	}
	return n
}

func TestParseIPv4(t *testing.T) {
	t.Parallel()
	fragment := tcpPacket(clientIP, stsIP, tcpSYN)
	fragment[7] = 1 // offset 8 bytes: no TCP header here
	withOptions := append([]byte{0x46}, tcpPacket(clientIP, stsIP, 0)[1:20]...)
	withOptions = append(withOptions, 0, 0, 0, 0) // 4 bytes of IP options
	withOptions = append(withOptions, tcpPacket(clientIP, stsIP, tcpSYN|tcpACK)[20:]...)
	tests := []struct {
		name   string
		packet []byte
		want   ipv4Header
		ok     bool
	}{
		{"SYN", tcpPacket(clientIP, stsIP, tcpSYN), ipv4Header{src: clientIP, dst: stsIP, syn: true}, true},
		{"ACK", tcpPacket(stsIP, clientIP, tcpACK), ipv4Header{src: stsIP, dst: clientIP, ack: true}, true},
		{"options shift the TCP header", withOptions, ipv4Header{src: clientIP, dst: stsIP, syn: true, ack: true}, true},
		{"later fragment has no flags", fragment, ipv4Header{src: clientIP, dst: stsIP}, true},
		{"truncated TCP header", tcpPacket(clientIP, stsIP, tcpSYN)[:30], ipv4Header{src: clientIP, dst: stsIP}, true},
		{"too short", []byte{0x45, 0, 0}, ipv4Header{}, false},
		{"IPv6", append([]byte{0x60}, make([]byte, 39)...), ipv4Header{}, false},
		{"header length below 20", append([]byte{0x44}, make([]byte, 39)...), ipv4Header{}, false},
		{"header longer than the packet", append([]byte{0x4f}, make([]byte, 39)...), ipv4Header{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseIPv4(tt.packet)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseIPv4 = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
