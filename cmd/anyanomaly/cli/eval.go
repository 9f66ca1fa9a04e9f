package cli

import "github.com/spf13/cobra"

func newEvalCmd(s IO) *cobra.Command {
	_ = s
	return &cobra.Command{Use: "eval", Short: "Run the benchmark protocol", RunE: notImplemented}
}
