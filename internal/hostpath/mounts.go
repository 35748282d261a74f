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

// ContainerAWSDir returns, inside the action's container, the directory for
// AWS files that later steps on the host can read — under the runner's temp
// dir (mounted at /github/runner_temp since runner 2.331), else under the
// mounted home — with its host path. ok is false outside such a container.
func ContainerAWSDir(m Mounts, exists func(string) bool) (dir, hostDir string, ok bool) {
	for _, mp := range []string{"/github/runner_temp", "/github/home"} {
		src, mounted := m[mp]
		if !mounted || !exists(mp) || src == "" || src == "/" {
			continue
		}
		return path.Join(mp, "aws-oidc-go"), path.Join(src, "aws-oidc-go"), true
	}
	return "", "", false
}
