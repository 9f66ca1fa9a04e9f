package rtsp

import (
	"fmt"
	"net"
	"syscall"
)

// checkUDPReadBuffer verifies that the kernel grants a UDP socket buffer of
// want bytes. gortsplib v4.16.2 retries its UDP set-up forever when the
// kernel refuses, so the check runs before any connection is made.
func checkUDPReadBuffer(want int) error {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("udp read buffer: %w", err)
	}
	defer pc.Close()
	uc := pc.(*net.UDPConn)
	if err := uc.SetReadBuffer(want); err != nil {
		return fmt.Errorf("udp read buffer of %d bytes refused: %w (raise the kernel limit: sysctl -w net.core.rmem_max=%d)", want, err, want)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	var got int
	var gerr error
	_ = raw.Control(func(fd uintptr) { got, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF) })
	// Linux reports twice the size it was asked for (bookkeeping overhead).
	if gerr == nil && got/2 < want {
		return fmt.Errorf("udp read buffer: the kernel granted %d of %d bytes (raise the limit: sysctl -w net.core.rmem_max=%d, or lower udp_read_buffer)", got/2, want, want)
	}
	return nil
}
