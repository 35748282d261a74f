package hostpath

import (
	"bufio"
	"os"
	"path"
	"strings"
)

// Mounts maps mount points to the path of their source inside its
// filesystem, read from /proc/self/mountinfo. For the bind mounts the runner
// gives a container action from the host's root filesystem, that source is
// the host path.
type Mounts map[string]string

// ReadMounts parses a mountinfo file; a missing file gives no mounts.
func ReadMounts(file string) (Mounts, error) {
	f, err := os.Open(file)
	if err != nil {
		return Mounts{}, err
	}
	defer f.Close()
	m := Mounts{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source super
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		m[unescapeMount(fields[4])] = unescapeMount(fields[3])
	}
	return m, sc.Err()
}

// unescapeMount undoes the octal escapes (\040 for space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, ok := octal(s[i+1 : i+4]); ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func octal(s string) (byte, bool) {
	if len(s) != 3 {
		return 0, false
	}
	var v int
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int(c-'0')
	}
	return byte(v), v < 256
}

// sharedDirs are the mount points where a container action can leave files
// the job's later steps read, in order of preference: the runner's temp
// directory (mounted at /github/runner_temp since runner 2.331) and its
// mounted home, which later steps on the host see at their host paths; and
// act's own volume, which act mounts at /var/run/act in the job container
// too, so later steps see it at the same path. Never the workspace, where
// actions/upload-artifact or a cache would pick credentials up.
var sharedDirs = []struct {
	mountPoint string
	samePath   bool
}{{"/github/runner_temp", false}, {"/github/home", false}, {"/var/run/act", true}}

// InContainer reports whether the mount table is a container action's: it
// has the runner's workspace mount or act's volume.
func InContainer(m Mounts) bool {
	_, gh := m["/github/workspace"]
	_, act := m["/var/run/act"]
	return gh || act
}

// ContainerAWSDir returns, inside the action's container, the directory for
// AWS files that the job's later steps can read, and the path they will read
// it at. ok is false when no such directory is mounted.
func ContainerAWSDir(m Mounts, exists func(string) bool) (dir, laterPath string, ok bool) {
	for _, d := range sharedDirs {
		src, mounted := m[d.mountPoint]
		if !mounted || !exists(d.mountPoint) || src == "" || (src == "/" && !d.samePath) {
			continue
		}
		dir = path.Join(d.mountPoint, "aws-oidc-go")
		if d.samePath {
			return dir, dir, true
		}
		return dir, path.Join(src, "aws-oidc-go"), true
	}
	return "", "", false
}

// underMount reports whether p lies under a mount point other than the
// container's root file system: somewhere that outlives the container.
func underMount(m Mounts, p string) bool {
	for mp := range m {
		if mp == "/" || strings.HasPrefix(mp, "/proc") || strings.HasPrefix(mp, "/sys") || strings.HasPrefix(mp, "/dev") || strings.HasPrefix(mp, "/etc/") {
			continue
		}
		if p == mp || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/") {
			return true
		}
	}
	return false
}
