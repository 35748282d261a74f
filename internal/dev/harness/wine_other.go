//go:build !windows

package harness

// UnderWine: only a Windows process can run under Wine.
func UnderWine() bool { return false }
