package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/anyanomaly/anyanomaly/stream"
)

// probeExitCodes maps probe failure kinds to process exit codes
// (documented in docs/stream.md).
var probeExitCodes = map[string]int{
	stream.ReasonInvalid:          2,
	stream.ReasonUnreachable:      3,
	stream.ReasonUnauthorized:     4,
	stream.ReasonNotFound:         5,
	stream.ReasonRefused:          6,
	stream.ReasonUnsupportedCodec: 7,
	stream.ReasonNoFrames:         8,
	stream.ReasonHWAccel:          9,
	stream.ReasonTLS:              10,
	stream.ReasonInterrupted:      130, // as a shell reports SIGINT
}

func newProbeCmd(s IO) *cobra.Command {
	var (
		opts    stream.ProbeOptions
		asJSON  bool
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "probe URL",
		Short: "Test a camera URL",
		Long: "Connects to an RTSP camera, decodes frames for --duration and prints codec, resolution,\n" +
			"frame rate, key frame interval, transport, hwaccel and frame counters. Exits non-zero\n" +
			"with a one-line reason when the camera cannot be used (see docs/stream.md for the codes).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lvl := slog.LevelWarn
			if verbose {
				lvl = slog.LevelInfo
			}
			opts.Logger = slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: lvl}))
			res, err := stream.Probe(cmd.Context(), args[0], opts)
			if asJSON {
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(res); jerr != nil {
					return jerr
				}
			} else if err == nil {
				printProbe(s, res)
			}
			if err != nil {
				code := 1
				var pe *stream.ProbeError
				if errors.As(err, &pe) {
					if c, ok := probeExitCodes[pe.Reason]; ok {
						code = c
					}
				}
				return &ExitError{Code: code, Err: err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Transport, "transport", "auto", "tcp, udp or auto")
	f.StringVar(&opts.HWAccel, "hwaccel", "none", "none, cuda, vaapi or auto")
	f.DurationVar(&opts.Duration, "duration", 5*time.Second, "how long to receive frames")
	f.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "connection and request timeout")
	f.BoolVar(&opts.TLSInsecure, "tls-insecure", false, "accept self-signed rtsps certificates")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.BoolVarP(&verbose, "verbose", "v", false, "log hwaccel fallbacks")
	return cmd
}

func printProbe(s IO, r stream.ProbeResult) {
	w := s.Out
	fmt.Fprintf(w, "url:               %s\n", r.URL)
	fmt.Fprintf(w, "codec:             %s\n", r.Codec)
	fmt.Fprintf(w, "resolution:        %dx%d\n", r.Width, r.Height)
	fmt.Fprintf(w, "frame rate:        %.2f fps\n", r.FPS)
	if r.KeyframeInterval > 0 {
		fmt.Fprintf(w, "keyframe interval: %.1f frames\n", r.KeyframeInterval)
	} else {
		fmt.Fprintf(w, "keyframe interval: unknown (fewer than two key frames seen)\n")
	}
	fmt.Fprintf(w, "transport:         %s\n", r.Transport)
	fmt.Fprintf(w, "hwaccel:           %s\n", r.HWAccel)
	fmt.Fprintf(w, "frames:            %d received, %d decoded, %d skipped before the first key frame, %d dropped in %.1fs\n",
		r.FramesReceived, r.FramesDecoded, r.FramesSkipped, r.FramesDropped, r.Seconds)
	if r.Interrupted {
		fmt.Fprintf(w, "interrupted:       stopped after %.1fs; the figures cover that time\n", r.Seconds)
	}
	if r.DecodeErrors > 0 || r.PacketsLost > 0 {
		fmt.Fprintf(w, "errors:            %d decode errors, %d RTP packets lost\n", r.DecodeErrors, r.PacketsLost)
	}
}
