package rtsp

import (
	"bufio"
	"context"
	"net"
)

// connReadBuffer is the read buffer of the RTSP connection (the TCP
// transport carries all the RTP data on it).
const connReadBuffer = 64 << 10

// bufferedConn reads the connection through a buffer larger than
// gortsplib's own (4 KiB): a 720p frame interleaved on TCP is several
// times that, and every read is a system call, which costs most on the
// virtual machines edge boxes often are. One read takes what has arrived.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

// Read reads from the buffer, refilling it with one read of the
// connection when it is empty.
func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// dialBuffered is the client's DialContext (TLS, for rtsps, wraps what it
// returns).
func dialBuffered(ctx context.Context, network, address string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, connReadBuffer)}, nil
}
