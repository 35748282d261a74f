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

// ImageExecutable is where the container image (Dockerfile) puts the
// binary: its ENTRYPOINT, and what os.Executable reports there for the
// post step's /aws-oidc-go-post link too.
const ImageExecutable = "/aws-oidc-go"

// onHost reports whether the shim said this process runs on the host:
// HostSignal is "host" and the process is not the container image's
// binary. The image ignores the signal, so a job-level env that sets it
// (meant for the native action) cannot make the container action skip
// its mount detection.
func onHost(getenv func(string) string, executable string) bool {
	return getenv(HostSignal) == "host" && executable != ImageExecutable
}

// noMounts is the mount table of a process the shim started on the host:
// nothing mapped, so no container paths are translated.
func noMounts() (hostpath.Mounts, error) { return hostpath.Mounts{}, nil }
