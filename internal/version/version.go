// Package version reports the build's version: the value stamped with
// -ldflags "-X github.com/org/aws-oidc-go/internal/version.Version=v1.2.3",
// else the module version or VCS revision recorded by the Go toolchain.
package version

import "runtime/debug"

// Version is set at link time by release builds. Leave it empty in source.
var Version = ""

// String returns the best version string available, never empty.
func String() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
