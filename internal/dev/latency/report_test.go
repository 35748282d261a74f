package main

import (
	"testing"
	"time"
)

func TestQuantiles(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		var d []time.Duration
		for _, x := range v {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	tests := []struct {
		name     string
		in       []time.Duration
		med, p95 time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{"unsorted", ms(30, 10, 20), 20 * time.Millisecond, 30 * time.Millisecond},
		{"twenty: p95 is the 19th", ms(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 11 * time.Millisecond, 19 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			med, p95 := quantiles(tt.in)
			if med != tt.med || p95 != tt.p95 {
				t.Errorf("quantiles = %v, %v; want %v, %v", med, p95, tt.med, tt.p95)
			}
		})
	}
}

func TestCountsAndActionsPerRun(t *testing.T) {
	t.Parallel()
	run := func(tcp, tls, req int64, actions map[string]int64) sample {
		return sample{sts: endpointCounts{tcp: tcp, Counts: Counts{Handshakes: tls, Requests: req, Actions: actions}}}
	}
	both := map[string]int64{"AssumeRoleWithWebIdentity": 1, "GetCallerIdentity": 1}
	ss := []sample{run(1, 1, 2, both), run(2, 2, 2, both), run(1, 1, 1, map[string]int64{"AssumeRoleWithWebIdentity": 1})}
	if got, want := counts(ss, func(s sample) endpointCounts { return s.sts }), "1–2 / 1–2 / 1–2"; got != want {
		t.Errorf("counts = %q, want %q", got, want)
	}
	if got, want := counts(ss[:1], func(s sample) endpointCounts { return s.sts }), "1 / 1 / 2"; got != want {
		t.Errorf("counts of one run = %q, want %q", got, want)
	}
	if got, want := actions(ss), "AssumeRoleWithWebIdentity, GetCallerIdentity (1 runs otherwise)"; got != want {
		t.Errorf("actions = %q, want %q", got, want)
	}
}
