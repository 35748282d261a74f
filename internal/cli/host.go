package cli

import "github.com/org/aws-oidc-go/internal/hostpath"

// HostSignal is the variable the node action's shim (native/shim.js) sets
// to "host" for the binary it runs: the binary then runs on the runner's
// host (or act's job container) like the CLI in a run: step, whatever its
// mount table looks like. Without it the binary guesses from the mounts,
// and under act, where the job container has /var/run/act mounted, it
// would take itself for a container action and write profiles and the
// refresh binary to act's volume instead of HOME.
const HostSignal = "AWS_OIDC_GO_RUNS_ON"

// onHost reports whether the shim said this process runs on the host.
func onHost(getenv func(string) string) bool { return getenv(HostSignal) == "host" }

// noMounts is the mount table of a process the shim started on the host:
// nothing mapped, so no container paths are translated.
func noMounts() (hostpath.Mounts, error) { return hostpath.Mounts{}, nil }
