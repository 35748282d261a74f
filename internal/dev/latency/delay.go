package main

import (
	"errors"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Endpoint is one server behind the delay line: every packet to or from IP
// is held for Hold in each direction, so a round trip to it costs 2×Hold
// more than it would on the wire between the two namespaces.
type Endpoint struct {
	Name string
	IP   netip.Addr
	Hold time.Duration
}

// Device is one side of the line, a TUN device in practice: each Read
// returns one whole IP packet, each Write sends one.
type Device interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
}

// Stats counts what crossed the line for one endpoint. Up is toward the
// endpoint (from the client), down is from it.
type Stats struct {
	SYNs                   int64 // TCP connection attempts toward the endpoint (SYN without ACK)
	PacketsUp, PacketsDown int64
	BytesUp, BytesDown     int64
	// Held is the sum of the time packets actually spent in the line, and
	// Delivered how many packets it sums, so that Held/Delivered - Hold is
	// the line's own overshoot.
	Held      time.Duration
	Delivered int64
}

// Line is a user-space delay line for IPv4 packets between a client
// device and a server device: a stand-in for sch_netem, which this
// kernel does not have. Packets are delivered in the order they arrived
// per endpoint and direction, each no earlier than its endpoint's Hold
// after it was read. Packets for no endpoint, and anything but IPv4, are
// dropped and counted in Dropped.
type Line struct {
	endpoints []Endpoint

	mu       sync.Mutex
	stats    []Stats
	synTimes [][]time.Time // by endpoint: when each SYN was read
	dropped  atomic.Int64
}

// NewLine returns a line for endpoints (distinct IPs).
func NewLine(endpoints []Endpoint) *Line {
	return &Line{endpoints: endpoints, stats: make([]Stats, len(endpoints)), synTimes: make([][]time.Time, len(endpoints))}
}

// SYNTime returns when the k-th SYN (from 0) toward endpoint i was read,
// if there was one: when that connection attempt left the client.
func (l *Line) SYNTime(i int, k int64) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k < 0 || k >= int64(len(l.synTimes[i])) {
		return time.Time{}, false
	}
	return l.synTimes[i][k], true
}

// Stats returns a copy of the counts so far, by endpoint in NewLine's order.
func (l *Line) Stats() []Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Stats(nil), l.stats...)
}

// Dropped is the number of packets that matched no endpoint or were not
// IPv4 (e.g. the kernel's IPv6 router solicitations on a new device).
func (l *Line) Dropped() int64 { return l.dropped.Load() }

// queueLen bounds each queue; a full queue drops, as a router would.
const queueLen = 4096

type packet struct {
	b  []byte
	in time.Time
}

// Run moves packets between client and server until reading from either
// fails (its device was closed) and returns that first error; packets
// still held are discarded.
func (l *Line) Run(client, server Device) error {
	type queue = chan packet
	up := make([]queue, len(l.endpoints))
	down := make([]queue, len(l.endpoints))
	var writers sync.WaitGroup
	for i, ep := range l.endpoints {
		up[i], down[i] = make(queue, queueLen), make(queue, queueLen)
		writers.Add(2)
		go func() { defer writers.Done(); l.deliver(i, ep.Hold, up[i], server) }()
		go func() { defer writers.Done(); l.deliver(i, ep.Hold, down[i], client) }()
	}
	errs := make(chan error, 2)
	go func() { errs <- l.read(client, true, up) }()
	go func() { errs <- l.read(server, false, down) }()
	first := <-errs
	// The other reader ends when its device closes; the writers stop
	// once their queues are closed, after the readers are done with them.
	go func() {
		<-errs
		for i := range up {
			close(up[i])
			close(down[i])
		}
	}()
	return first
}

// read reads packets from dev, classifies each by its destination (up) or
// source (down) address and queues it for its endpoint.
func (l *Line) read(dev Device, isUp bool, queues []chan packet) error {
	buf := make([]byte, 1<<16)
	for {
		n, err := dev.Read(buf)
		if err != nil {
			return err
		}
		now := time.Now()
		h, ok := parseIPv4(buf[:n])
		i := -1
		if ok {
			addr := h.src
			if isUp {
				addr = h.dst
			}
			i = l.index(addr)
		}
		if i < 0 {
			l.dropped.Add(1)
			continue
		}
		l.mu.Lock()
		s := &l.stats[i]
		if isUp {
			s.PacketsUp++
			s.BytesUp += int64(n)
			if h.syn && !h.ack {
				s.SYNs++
				l.synTimes[i] = append(l.synTimes[i], now)
			}
		} else {
			s.PacketsDown++
			s.BytesDown += int64(n)
		}
		l.mu.Unlock()
		select {
		case queues[i] <- packet{b: append([]byte(nil), buf[:n]...), in: now}:
		default:
			l.dropped.Add(1)
		}
	}
}

// deliver writes each packet of q to dev once it has been held for hold.
// The hold is the same for every packet of a queue, so arrival order is
// due order.
func (l *Line) deliver(i int, hold time.Duration, q <-chan packet, dev Device) {
	for p := range q {
		if wait := time.Until(p.in.Add(hold)); wait > 0 {
			time.Sleep(wait)
		}
		if _, err := dev.Write(p.b); errors.Is(err, os.ErrClosed) {
			return
		}
		held := time.Since(p.in)
		l.mu.Lock()
		l.stats[i].Held += held
		l.stats[i].Delivered++
		l.mu.Unlock()
	}
}

func (l *Line) index(a netip.Addr) int {
	for i, ep := range l.endpoints {
		if ep.IP == a {
			return i
		}
	}
	return -1
}

type ipv4Header struct {
	src, dst netip.Addr
	syn, ack bool // for TCP, the flags of the segment
}

// parseIPv4 reads the addresses of an IPv4 packet and, for an unfragmented
// TCP segment (or a first fragment), its SYN and ACK flags.
func parseIPv4(b []byte) (ipv4Header, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return ipv4Header{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return ipv4Header{}, false
	}
	h := ipv4Header{src: netip.AddrFrom4([4]byte(b[12:16])), dst: netip.AddrFrom4([4]byte(b[16:20]))}
	fragOffset := (int(b[6]&0x1f)<<8 | int(b[7])) * 8
	const tcp = 6
	if b[9] == tcp && fragOffset == 0 && len(b) >= ihl+14 {
		flags := b[ihl+13]
		h.syn, h.ack = flags&0x02 != 0, flags&0x10 != 0
	}
	return h, true
}
