package loopback

import "testing"

func TestHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":          true,
		"LocalHost":          true,
		"LOCALHOST":          true,
		"127.0.0.1":          true,
		"127.9.9.9":          true,
		"127.255.255.254":    true,
		"::1":                true,
		"[::1]":              true,
		"0:0:0:0:0:0:0:1":    true,
		"::ffff:127.0.0.1":   true,
		"localhost.evil.com": false,
		"runner.localhost":   false,
		"localhost.":         false,
		"evil.com#localhost": false,
		"128.0.0.1":          false,
		"10.0.0.1":           false,
		"0.0.0.0":            false,
		"::":                 false,
		"[::2]":              false,
		"[127.0.0.1":         false,
		"127.0.0.1]":         false,
		"example.com":        false,
		"":                   false,
		"127.0.0.1.nip.io":   false,
		"[::1]:8080":         false,
	} {
		if got := Host(host); got != want {
			t.Errorf("Host(%q) = %v, want %v", host, got, want)
		}
	}
}
