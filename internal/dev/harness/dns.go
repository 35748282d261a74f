package harness

import (
	"context"
	"net"

	"golang.org/x/net/dns/dnsmessage"
)

// NXDomainResolver returns a resolver that asks an in-process DNS server
// answering NXDOMAIN to every query, and a function to stop it. Installed
// as net.DefaultResolver in a test binary, it makes DNS failures testable
// and keeps every lookup on this machine.
func NXDomainResolver() (*net.Resolver, func(), error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionAvailable: true, RCode: dnsmessage.RCodeNameError})
			b.StartQuestions()
			b.Question(q)
			msg, err := b.Finish()
			if err == nil {
				pc.WriteTo(msg, addr)
			}
		}
	}()
	addr := pc.LocalAddr().String()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
	return r, func() { pc.Close() }, nil
}
