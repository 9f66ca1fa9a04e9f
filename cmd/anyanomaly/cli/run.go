package cli

import "github.com/spf13/cobra"

func newRunCmd(s IO) *cobra.Command {
	_ = s
	return &cobra.Command{Use: "run", Short: "Run the daemon", RunE: notImplemented}
}
