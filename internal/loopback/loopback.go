// Package loopback answers one question for every package that lets a
// plain http:// URL through: does this host name this machine?
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host names this machine: localhost in any case, or
// a loopback address (127.0.0.0/8, ::1), bare or in the brackets a URL's
// host carries them in. Only those: they are what HTTP_PROXY never applies
// to (golang.org/x/net/http/httpproxy), so a request to them stays on this
// machine; a *.localhost name, or localhost.evil.com, would go through the
// proxy or the network, in clear.
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
