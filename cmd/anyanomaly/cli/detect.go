package cli

import "github.com/spf13/cobra"

func newDetectCmd(s IO) *cobra.Command {
	_ = s
	return &cobra.Command{Use: "detect", Short: "Score a video file offline", RunE: notImplemented}
}
