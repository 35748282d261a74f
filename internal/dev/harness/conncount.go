package harness

import (
	"io"
	"net"
	"sync"
)

// ConnCounter is a TCP relay on a loopback port in front of a server,
// counting the connections clients open to it and how many are still
// open: what a test watches to see when, and how often, a client connects.
type ConnCounter struct {
	Addr string // host:port to connect to

	ln       net.Listener
	target   string
	mu       sync.Mutex
	accepted int
	open     int
	fromUp   int64 // bytes relayed from the server to clients
	active   map[net.Conn]bool
	first    chan struct{}
	closed   chan struct{} // closed when a client connection has ended
	wg       sync.WaitGroup
}

// NewConnCounter relays connections to target (host:port).
func NewConnCounter(target string) *ConnCounter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	c := &ConnCounter{Addr: ln.Addr().String(), ln: ln, target: target, active: map[net.Conn]bool{}, first: make(chan struct{}), closed: make(chan struct{}, 64)}
	c.wg.Add(1)
	go c.serve()
	return c
}

func (c *ConnCounter) serve() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		c.accepted++
		c.open++
		c.active[conn] = true
		if c.accepted == 1 {
			close(c.first)
		}
		c.mu.Unlock()
		c.wg.Add(1)
		go c.relay(conn)
	}
}

func (c *ConnCounter) relay(conn net.Conn) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		c.open--
		delete(c.active, conn)
		c.mu.Unlock()
		select {
		case c.closed <- struct{}{}:
		default:
		}
	}()
	defer conn.Close()
	up, err := net.Dial("tcp", c.target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(up, conn)
		up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(countingWriter{conn, c}, up)
	// The server is done; a client that keeps its side open is cut off.
	conn.Close()
	<-done
}

type countingWriter struct {
	w io.Writer
	c *ConnCounter
}

func (cw countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.c.mu.Lock()
	cw.c.fromUp += int64(n)
	cw.c.mu.Unlock()
	return n, err
}

// ServerBytes is how many bytes the server has sent to clients (with TLS:
// a handshake under way once it is above zero).
func (c *ConnCounter) ServerBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fromUp
}

// FirstAccept is closed when the first connection is accepted.
func (c *ConnCounter) FirstAccept() <-chan struct{} { return c.first }

// Ended receives (at most 64 buffered) each time a client connection ends.
func (c *ConnCounter) Ended() <-chan struct{} { return c.closed }

// Accepted is how many connections were accepted.
func (c *ConnCounter) Accepted() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted
}

// Open is how many accepted connections are still open.
func (c *ConnCounter) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// Close stops accepting, cuts the open connections and waits for their
// relays to end.
func (c *ConnCounter) Close() {
	c.ln.Close()
	c.mu.Lock()
	for conn := range c.active {
		conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}
