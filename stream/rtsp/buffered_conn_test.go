package rtsp

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// TestDialBufferedReadsAheadOfTheCaller: a 4 KiB read (gortsplib's buffer
// size) from the connection the client dials takes everything that has
// arrived in one go, and the bytes come out intact and in order.
func TestDialBufferedReadsAheadOfTheCaller(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	payload := make([]byte, 14000) // about one 720p frame of RTP
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	written := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			written <- err
			return
		}
		defer c.Close()
		_, err = c.Write(payload)
		written <- err
		// Stay open until the client is done reading.
		_, _ = io.Copy(io.Discard, c)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := dialBuffered(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	bc, ok := conn.(*bufferedConn)
	if !ok {
		t.Fatalf("dialBuffered returned %T", conn)
	}
	got := make([]byte, 0, len(payload))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, buf[:n]...)
	if bc.r.Buffered() == 0 {
		t.Fatalf("a %d-byte read took only what was asked for (%d bytes) with %d bytes sent", len(buf), n, len(payload))
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for len(got) < len(payload) {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	for i := range payload {
		if got[i] != payload[i] {
			t.Fatalf("byte %d = %d, sent %d", i, got[i], payload[i])
		}
	}
}
