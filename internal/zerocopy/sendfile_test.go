package zerocopy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// pattern returns n bytes that differ at every offset modulo 251, so a
// misplaced range cannot compare equal.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func writeFile(t *testing.T, data []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seg.log")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// pair returns a connected loopback TCP pair with a small send buffer, so
// that transfers larger than it hit EAGAIN and park in the netpoller. (A tiny
// receive buffer would trigger TCP's silly-window avoidance and make the
// transfer crawl, so that one keeps its default.)
func pair(t *testing.T) (send *net.TCPConn, recv *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	send, recv = c.(*net.TCPConn), a.(*net.TCPConn)
	if err := send.SetWriteBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { send.Close(); recv.Close() })
	return send, recv
}

func rawConn(t *testing.T, c *net.TCPConn) syscall.RawConn {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// readN reads exactly n bytes from c in a goroutine.
func readN(c net.Conn, n int) <-chan []byte {
	out := make(chan []byte, 1)
	go func() {
		b := make([]byte, n)
		if _, err := io.ReadFull(c, b); err != nil {
			out <- nil
			return
		}
		out <- b
	}()
	return out
}

func TestSendfileRange(t *testing.T) {
	if !Supported {
		t.Skip("no sendfile on this system")
	}
	data := pattern(8<<20 + 12345)
	f := writeFile(t, data)
	send, recv := pair(t)

	const off = 777
	n := int64(len(data) - off - 99)
	got := readN(recv, int(n))
	sent, err := Sendfile(rawConn(t, send), f.Fd(), off, n)
	if err != nil {
		t.Fatalf("Sendfile: %v", err)
	}
	if sent != n {
		t.Fatalf("sent %d, want %d", sent, n)
	}
	if b := <-got; !bytes.Equal(b, data[off:off+n]) {
		t.Fatal("received bytes differ from the file range")
	}
	if pos, err := f.Seek(0, io.SeekCurrent); err != nil || pos != 0 {
		t.Fatalf("file position %d, %v; want 0 (untouched)", pos, err)
	}
}

// TestSendfileConcurrentOffsets sends different ranges of one file on two
// connections at once: explicit offsets must not interfere.
func TestSendfileConcurrentOffsets(t *testing.T) {
	if !Supported {
		t.Skip("no sendfile on this system")
	}
	data := pattern(4 << 20)
	f := writeFile(t, data)
	type job struct{ off, n int64 }
	jobs := []job{{0, 2 << 20}, {1<<20 + 3, 3<<20 - 3}}
	errs := make(chan error, len(jobs))
	var gots []<-chan []byte
	for _, j := range jobs {
		send, recv := pair(t)
		gots = append(gots, readN(recv, int(j.n)))
		go func() {
			_, err := Sendfile(rawConn(t, send), f.Fd(), j.off, j.n)
			errs <- err
		}()
	}
	for range jobs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, j := range jobs {
		if b := <-gots[i]; !bytes.Equal(b, data[j.off:j.off+j.n]) {
			t.Fatalf("job %d: received bytes differ", i)
		}
	}
}

func TestSendfileShortFile(t *testing.T) {
	if !Supported {
		t.Skip("no sendfile on this system")
	}
	data := pattern(1000)
	f := writeFile(t, data)
	send, recv := pair(t)
	got := readN(recv, 900)
	sent, err := Sendfile(rawConn(t, send), f.Fd(), 100, 5000)
	if !errors.Is(err, ErrShortFile) {
		t.Fatalf("err %v, want ErrShortFile", err)
	}
	if sent != 900 {
		t.Fatalf("sent %d, want 900", sent)
	}
	if b := <-got; !bytes.Equal(b, data[100:]) {
		t.Fatal("received bytes differ")
	}
}

// TestSendfileDeadline: a peer that never reads, and a write deadline,
// must end the transfer with os.ErrDeadlineExceeded instead of hanging.
func TestSendfileDeadline(t *testing.T) {
	if !Supported {
		t.Skip("no sendfile on this system")
	}
	data := pattern(16 << 20)
	f := writeFile(t, data)
	send, _ := pair(t)
	if err := send.SetWriteDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	sent, err := Sendfile(rawConn(t, send), f.Fd(), 0, int64(len(data)))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err %v, want os.ErrDeadlineExceeded", err)
	}
	if sent <= 0 || sent >= int64(len(data)) {
		t.Fatalf("sent %d, want a partial transfer", sent)
	}
}

func TestSendfileZero(t *testing.T) {
	send, _ := pair(t)
	sent, err := Sendfile(rawConn(t, send), ^uintptr(0), 0, 0)
	if sent != 0 || err != nil {
		t.Fatalf("Sendfile(n=0) = %d, %v; want 0, nil", sent, err)
	}
}
