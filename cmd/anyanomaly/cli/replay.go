package cli

import "github.com/spf13/cobra"

func newReplayCmd(s IO) *cobra.Command {
	_ = s
	return &cobra.Command{Use: "replay", Short: "Serve a video file as an RTSP camera", RunE: notImplemented}
}
