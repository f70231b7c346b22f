package server

import (
	"bytes"
	"io"
	"net"
)

// ServeFrame runs one request frame (a request header and body, without
// the 4-byte size prefix) through the same dispatch path a connection's
// read loop uses, on a connection of its own with no socket, and returns
// the response frame as a client would read it (size prefix included;
// nil when the request gets no response, as an acks=0 produce) and
// whether a connection would now be closed (a malformed header or body).
//
// It exists for fuzzing and tests: the frame limit socket.request.max.bytes
// is checked as readFrame checks it. Like a real request, it may wait
// (a long-poll Fetch, a JoinGroup); Close ends such waits.
func (s *Server) ServeFrame(frame []byte) (response []byte, closeConn bool) {
	if int64(len(frame)) > int64(s.cfg.SocketRequestMaxBytes) || len(frame) < minFrame {
		return nil, true
	}
	srv, cli := net.Pipe()
	defer cli.Close()
	c := newConn(s, srv, "PLAINTEXT")
	defer srv.Close()
	corr, r, err := s.dispatch(c, frame)
	if err != nil {
		return nil, true
	}
	if r == nil {
		return nil, false
	}
	defer r.release()
	written := make(chan error, 1)
	go func() {
		err := r.write(c, corr)
		srv.Close()
		written <- err
	}()
	var out bytes.Buffer
	io.Copy(&out, cli)
	if err := <-written; err != nil {
		return out.Bytes(), true
	}
	return out.Bytes(), false
}
