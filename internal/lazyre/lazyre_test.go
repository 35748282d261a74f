package lazyre

import (
	"sync"
	"testing"
)

func TestNewCompilesOnceOnFirstCall(t *testing.T) {
	re := New(`^a+$`)
	var wg sync.WaitGroup
	got := make(chan any, 8)
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); got <- re() }()
	}
	wg.Wait()
	close(got)
	first := re()
	for r := range got {
		if r != first {
			t.Fatalf("calls returned different *regexp.Regexp values")
		}
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{{"aaa", true}, {"", false}, {"ab", false}} {
		if m := first.MatchString(tc.in); m != tc.want {
			t.Errorf("MatchString(%q) = %v, want %v", tc.in, m, tc.want)
		}
	}
}

func TestNewPanicsAtFirstCallNotBefore(t *testing.T) {
	re := New(`(`) // must not panic here
	defer func() {
		if recover() == nil {
			t.Fatal("the first call of a bad expression did not panic")
		}
	}()
	re()
}
