package cli

import "github.com/spf13/cobra"

func newProbeCmd(s IO) *cobra.Command {
	_ = s
	return &cobra.Command{Use: "probe", Short: "Test a camera URL", RunE: notImplemented}
}
