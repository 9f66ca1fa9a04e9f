package streamtest

import (
	"net"
	"sync/atomic"
	"testing"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtp"
)

// RTPServer is a TCP-only RTSP server on loopback that serves one media of
// a given format and sends exactly the RTP packets the test writes: for
// corrupt data, unsupported codecs and stalls.
type RTPServer struct {
	// URL is the stream's rtsp:// URL.
	URL     string
	srv     *gortsplib.Server
	stream  *gortsplib.ServerStream
	media   *description.Media
	playing atomic.Int64
}

// StartRTPServer starts the server; it stops at the end of the test.
func StartRTPServer(t testing.TB, f format.Format) *RTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &RTPServer{URL: "rtsp://" + ln.Addr().String() + "/raw"}
	s.srv = &gortsplib.Server{Handler: s, RTSPAddress: ln.Addr().String(),
		Listen: func(string, string) (net.Listener, error) { return ln, nil }}
	if err := s.srv.Start(); err != nil {
		ln.Close()
		t.Fatal(err)
	}
	s.media = &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
	s.stream = &gortsplib.ServerStream{Server: s.srv, Desc: &description.Session{Medias: []*description.Media{s.media}}}
	if err := s.stream.Initialize(); err != nil {
		s.srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stream.Close()
		s.srv.Close()
	})
	return s
}

// Playing is the number of readers that sent PLAY.
func (s *RTPServer) Playing() int64 { return s.playing.Load() }

// Write sends one RTP packet to every reader.
func (s *RTPServer) Write(pkt *rtp.Packet) error { return s.stream.WritePacketRTP(s.media, pkt) }

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (s *RTPServer) OnDescribe(*gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return &base.Response{StatusCode: base.StatusOK}, s.stream, nil
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (s *RTPServer) OnSetup(*gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return &base.Response{StatusCode: base.StatusOK}, s.stream, nil
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (s *RTPServer) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	s.playing.Add(1)
	return &base.Response{StatusCode: base.StatusOK}, nil
}
