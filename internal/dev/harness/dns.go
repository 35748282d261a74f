package harness

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// NXDomainResolver returns a resolver that asks an in-process DNS server
// answering NXDOMAIN to every query, and a function to stop it. Installed
// as net.DefaultResolver in a test binary, it makes DNS failures testable
// and keeps every lookup on this machine. It speaks DNS over TCP (Go's
// resolver frames a query by length on a stream connection): on Windows,
// Go ≥ 1.24 sets SIO_UDP_NETRESET on every UDP socket, which Wine does not
// implement, and TCP works on every platform alike.
func NXDomainResolver() (*net.Resolver, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go answerNXDomain(c)
		}
	}()
	addr := l.Addr().String()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}}
	return r, func() { l.Close() }, nil
}

// answerNXDomain answers each length-prefixed query on c with NXDOMAIN.
func answerNXDomain(c net.Conn) {
	defer c.Close()
	for {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var n [2]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		buf := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf)
		if err != nil {
			return
		}
		q, err := p.Question()
		if err != nil {
			return
		}
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionAvailable: true, RCode: dnsmessage.RCodeNameError})
		b.StartQuestions()
		b.Question(q)
		msg, err := b.Finish()
		if err != nil {
			return
		}
		if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...)); err != nil {
			return
		}
	}
}
