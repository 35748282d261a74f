//go:build linux && (amd64 || arm64)

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

// The network the benchmark builds: two network namespaces of its own,
// each with a TUN device, and the delay line between the two devices.
//
//	client namespace                       server namespace
//	198.18.0.1 ── latc ══ Line (user space) ══ lats ── 198.18.1.1 (token service front)
//	                                                └─ 198.18.1.2 (STS front)
//
// The commands run in the client namespace; the TLS fronts listen in the
// server namespace and forward to moto and the fake token service on this
// process's loopback. 198.18.0.0/15 is the address block reserved for
// benchmarks (RFC 2544); nothing outside the two namespaces sees it.
//
// The namespaces have no name (nothing under /var/run/netns): they exist
// while this process holds their file descriptors or a process runs in
// them, and the TUN devices while this process holds theirs. So however
// the benchmark ends — even SIGKILL — the kernel removes both; a clean
// exit closes them explicitly.
type network struct {
	home, client, server *os.File // namespace descriptors
	clientTUN, serverTUN *os.File
	line                 *Line
	lineDone             chan error
}

const (
	serverNet = "198.18.1.0/24"
	clientNet = "198.18.0.0/24"
)

// supported is empty where the benchmark can run, or says why not.
func supported() string {
	if os.Geteuid() != 0 {
		return "it must run as root (it creates network namespaces and TUN devices)"
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return "there is no /dev/net/tun"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "ip (iproute2) is not installed"
	}
	return ""
}

// newNetwork builds the namespaces, devices and addresses for endpoints
// and starts the delay line.
func newNetwork(endpoints []Endpoint) (n *network, err error) {
	n = &network{lineDone: make(chan error, 1)}
	defer func() {
		if err != nil {
			n.Close()
			n = nil
		}
	}()
	if n.home, err = os.Open("/proc/self/ns/net"); err != nil {
		return n, err
	}
	if n.client, err = n.newNamespace(); err != nil {
		return n, err
	}
	if n.server, err = n.newNamespace(); err != nil {
		return n, err
	}
	client := [][]string{
		{"link", "set", "lo", "up"},
		{"link", "set", "latc", "up"},
		{"addr", "add", clientAddr + "/32", "dev", "latc"},
		{"route", "add", serverNet, "dev", "latc", "src", clientAddr},
	}
	server := [][]string{{"link", "set", "lo", "up"}, {"link", "set", "lats", "up"}}
	for _, ep := range endpoints {
		server = append(server, []string{"addr", "add", ep.IP.String() + "/32", "dev", "lats"})
	}
	server = append(server, []string{"route", "add", clientNet, "dev", "lats"})
	if n.clientTUN, err = n.tun(n.client, "latc", client); err != nil {
		return n, err
	}
	if n.serverTUN, err = n.tun(n.server, "lats", server); err != nil {
		return n, err
	}
	n.line = NewLine(endpoints)
	go func() { n.lineDone <- n.line.Run(n.clientTUN, n.serverTUN) }()
	return n, nil
}

// Close removes the devices and lets the namespaces go.
func (n *network) Close() {
	for _, f := range []*os.File{n.clientTUN, n.serverTUN} {
		if f != nil {
			f.Close()
		}
	}
	if n.line != nil {
		<-n.lineDone
	}
	for _, f := range []*os.File{n.client, n.server, n.home} {
		if f != nil {
			f.Close()
		}
	}
}

// Listen listens on addr in the server namespace.
func (n *network) Listen(addr string) (net.Listener, error) {
	var ln net.Listener
	err := n.in(n.server, func() (err error) {
		ln, err = net.Listen("tcp4", addr)
		return err
	})
	return ln, err
}

// Start starts cmd in the client namespace.
func (n *network) Start(cmd *exec.Cmd) error { return n.in(n.client, cmd.Start) }

// newNamespace makes a network namespace held only by the returned file.
func (n *network) newNamespace() (*os.File, error) {
	var ns *os.File
	err := n.onThread(func() error {
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			return fmt.Errorf("creating a network namespace: %w", err)
		}
		var err error
		ns, err = os.Open("/proc/thread-self/ns/net")
		return err
	})
	return ns, err
}

// tun creates a TUN device called name in namespace ns and configures it
// with ip (each of cmds is one ip command run inside ns).
func (n *network) tun(ns *os.File, name string, cmds [][]string) (*os.File, error) {
	var dev *os.File
	err := n.in(ns, func() error {
		// The device belongs to the namespace that opens /dev/net/tun.
		fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err != nil {
			return fmt.Errorf("opening /dev/net/tun: %w", err)
		}
		var ifr [40]byte // struct ifreq: the name, then the flags
		copy(ifr[:syscall.IFNAMSIZ-1], name)
		binary.NativeEndian.PutUint16(ifr[syscall.IFNAMSIZ:], syscall.IFF_TUN|syscall.IFF_NO_PI)
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TUNSETIFF, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
			syscall.Close(fd)
			return fmt.Errorf("creating TUN device %s: %w", name, e)
		}
		// Non-blocking, so that the runtime polls it and Close ends a Read.
		dev = os.NewFile(uintptr(fd), "tun "+name)
		for _, args := range cmds {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
			}
		}
		return nil
	})
	if err != nil && dev != nil {
		dev.Close()
		dev = nil
	}
	return dev, err
}

// in runs fn with its OS thread in namespace ns: sockets fn opens belong
// to ns, and so do processes it starts (a child gets the namespaces of
// the thread that forks it).
func (n *network) in(ns *os.File, fn func() error) error {
	return n.onThread(func() error {
		if err := setns(ns); err != nil {
			return fmt.Errorf("entering a namespace: %w", err)
		}
		return fn()
	})
}

// onThread runs fn on a locked OS thread and then puts that thread back
// into the home namespace. If that fails the thread stays locked, and
// the runtime discards it when the goroutine ends, so no other goroutine
// ever runs in the wrong namespace.
func (n *network) onThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := fn()
		if rerr := setns(n.home); rerr != nil {
			errc <- errors.Join(err, fmt.Errorf("returning to the home network namespace: %w", rerr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

func setns(ns *os.File) error {
	if _, _, e := syscall.RawSyscall(sysSetns, ns.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}

// namespaceIDs names this process's mount and network namespaces
// ("mnt:[4026531841] net:[4026531840]"), for the launcher's check that it
// runs in others.
func namespaceIDs() (string, error) {
	var ids []string
	for _, kind := range []string{"mnt", "net"} {
		id, err := os.Readlink("/proc/self/ns/" + kind)
		if err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, " "), nil
}

// launchAttrs makes the launcher the leader of its own process group (so
// that a kill reaches whatever it became), kills it if the benchmark dies,
// and gives it a private mount namespace for its /etc/hosts.
func launchAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Unshareflags: syscall.CLONE_NEWNS}
}

// killGroup kills the launcher's process group: whatever it became.
func killGroup(p *os.Process) error { return syscall.Kill(-p.Pid, syscall.SIGKILL) }

// launch runs as the first process of every measured command, started by
// the benchmark in the client network namespace and a new mount namespace
// (made private by os/exec). It binds hosts over /etc/hosts and resolv
// over /etc/resolv.conf — so the commands resolve the real host names to
// the server namespace's addresses, and any other name fails at once —
// then executes argv. The benchmark's clock starts when the start pipe
// (descriptor 3, close-on-exec here) closes, i.e. at that exec.
//
// home is the benchmark's namespaceIDs: the launcher refuses to touch
// /etc if it shares either namespace with the benchmark.
func launch(home, hosts, resolv string, argv, env []string) error {
	here, err := namespaceIDs()
	if err != nil {
		return err
	}
	h, m := strings.Fields(home), strings.Fields(here)
	if len(h) != 2 || len(m) != 2 || h[0] == m[0] || h[1] == m[1] {
		return fmt.Errorf("not in namespaces of its own (benchmark %q, launcher %q): refusing to bind over /etc", home, here)
	}
	for _, b := range [][2]string{{hosts, "/etc/hosts"}, {resolv, "/etc/resolv.conf"}} {
		if err := syscall.Mount(b[0], b[1], "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding %s over %s: %w", b[0], b[1], err)
		}
	}
	syscall.CloseOnExec(3)
	return syscall.Exec(argv[0], argv, env)
}

// boost sets every thread of this process to serverNice (new threads
// inherit it) and returns the nice value it had before.
func boost() (int, error) {
	// getpriority(2) returns 20 - nice on Linux.
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return 0, err
	}
	before := 20 - raw
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return before, err
	}
	for _, t := range tasks {
		var tid int
		if _, err := fmt.Sscan(t.Name(), &tid); err == nil {
			// Linux's nice is per thread; a thread gone meanwhile is fine.
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, serverNice)
		}
	}
	return before, nil
}

// unboost gives the calling thread the priority nice; the launcher calls
// it on the thread that then executes the command.
func unboost(nice int) error { return syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice) }
