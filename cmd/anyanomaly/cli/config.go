package cli

import "github.com/spf13/cobra"

func newConfigCmd(s IO) *cobra.Command {
	_ = s
	return &cobra.Command{Use: "config", Short: "Check configuration files", RunE: notImplemented}
}
