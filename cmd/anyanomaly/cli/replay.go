package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/anyanomaly/anyanomaly/stream/replay"
)

func newReplayCmd(s IO) *cobra.Command {
	var cfg replay.Config
	var certFile, keyFile string
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Serve a video file as an RTSP camera",
		Long: "Serves an H.264/H.265 file (mp4, mkv, raw) over RTSP at real-time pace without re-encoding,\n" +
			"to any number of readers, until interrupted (or until the file ends without --loop).\n" +
			"With --tls-cert and --tls-key it serves rtsps://.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.File = args[0]
			if (certFile == "") != (keyFile == "") {
				return errors.New("replay: --tls-cert and --tls-key go together")
			}
			if certFile != "" {
				cert, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					return fmt.Errorf("replay: TLS certificate %s with key %s: %w", certFile, keyFile, err)
				}
				cfg.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			log := slog.New(slog.NewTextHandler(s.Err, nil))
			return replay.New(cfg, replay.Deps{Logger: log}).Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Listen, "listen", "127.0.0.1:8554", "RTSP listen address HOST:PORT")
	f.StringVar(&cfg.Path, "path", "", "stream path (default: the file name without extension)")
	f.BoolVar(&cfg.Loop, "loop", false, "restart at the end of the file, timestamps continuing")
	f.IntVar(&cfg.UDPPort, "udp-port", 0, "even UDP port for RTP (RTCP uses the next); 0 picks one, -1 disables UDP")
	f.StringVar(&cfg.Username, "user", "", "require this user name from readers")
	f.StringVar(&cfg.Password, "password", "", "require this password from readers")
	f.Float64Var(&cfg.Speed, "speed", 1, "pace multiplier (1 = real time)")
	f.StringVar(&certFile, "tls-cert", "", "serve rtsps:// with this PEM certificate (with --tls-key; RTP then goes inside the TLS connection, or as SRTP over UDP)")
	f.StringVar(&keyFile, "tls-key", "", "PEM private key of --tls-cert")
	return cmd
}
