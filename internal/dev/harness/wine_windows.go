package harness

import "golang.org/x/sys/windows"

// UnderWine reports whether this Windows process runs under Wine (its
// ntdll exports wine_get_version), which is Windows' API, not Windows: no
// real ACLs, no symbolic links, and no way to start a Linux program.
func UnderWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
