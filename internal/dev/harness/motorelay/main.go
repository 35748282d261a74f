// Command motorelay lets a Windows test binary under Wine start
// moto_server, a Linux program a Windows process cannot start. Built for
// Linux it is the relay: it listens on a loopback port (printed on its
// first line) and, for each connection, starts moto_server with the
// arguments sent (only "-H 127.0.0.1 -p PORT" is accepted), streams its
// output back, and kills it when the connection closes. Built for Windows
// and installed as moto_server.exe on the Wine PATH, it is the stand-in
// harness.StartMoto runs: it sends its arguments to the relay named by
// AWS_OIDC_GO_MOTO_RELAY and copies moto_server's output to its own; when
// the harness kills it, its connection closes and the relay kills
// moto_server. Test support (make test-windows); never linked into the
// action.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"syscall"
)

func main() {
	if runtime.GOOS == "windows" {
		os.Exit(standIn(os.Getenv("AWS_OIDC_GO_MOTO_RELAY"), os.Args[1:]))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(l.Addr())
	// Stopped (make test-windows ends): every moto_server goes too.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		running.Lock()
		for p := range running.procs {
			killGroup(p)
		}
		os.Exit(0)
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		go relay(c)
	}
}

// standIn asks the relay at addr to start moto_server with args and
// copies its output until the relay closes the connection.
func standIn(addr string, args []string) int {
	if addr == "" {
		fmt.Fprintln(os.Stderr, "moto_server (stand-in): AWS_OIDC_GO_MOTO_RELAY is not set (make test-windows starts the relay)")
		return 2
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "moto_server (stand-in):", err)
		return 1
	}
	defer c.Close()
	line, _ := json.Marshal(args)
	if _, err := c.Write(append(line, '\n')); err != nil {
		fmt.Fprintln(os.Stderr, "moto_server (stand-in):", err)
		return 1
	}
	io.Copy(os.Stdout, c)
	return 1 // moto_server ended
}

// running is every moto_server the relay started and has not seen end.
var running = struct {
	sync.Mutex
	procs map[*os.Process]bool
}{procs: map[*os.Process]bool{}}

// relay serves one stand-in: one moto_server, alive while c is open.
func relay(c net.Conn) {
	defer c.Close()
	line, err := bufio.NewReaderSize(io.LimitReader(c, 4096), 4096).ReadBytes('\n')
	if err != nil {
		return
	}
	var args []string
	if json.Unmarshal(line, &args) != nil || len(args) != 4 || args[0] != "-H" || args[1] != "127.0.0.1" || args[2] != "-p" {
		fmt.Fprintf(c, "motorelay: refused arguments %q: only -H 127.0.0.1 -p PORT\n", line)
		return
	}
	if port, err := strconv.Atoi(args[3]); err != nil || port < 1024 || port > 65535 {
		fmt.Fprintf(c, "motorelay: refused port %q\n", args[3])
		return
	}
	cmd := exec.Command("moto_server", args...)
	cmd.Stdout, cmd.Stderr = c, c
	cmd.SysProcAttr = groupAttrs()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(c, "motorelay: %v\n", err)
		return
	}
	running.Lock()
	running.procs[cmd.Process] = true
	running.Unlock()
	defer func() { running.Lock(); delete(running.procs, cmd.Process); running.Unlock() }()
	go func() {
		// Nothing more is sent: EOF or an error means the stand-in is gone.
		io.Copy(io.Discard, c)
		killGroup(cmd.Process)
	}()
	cmd.Wait()
}
