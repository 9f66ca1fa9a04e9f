package cli

import "github.com/spf13/cobra"

func newEventsCmd(s IO) *cobra.Command {
	_ = s
	return &cobra.Command{Use: "events", Short: "Watch alerts", RunE: notImplemented}
}
