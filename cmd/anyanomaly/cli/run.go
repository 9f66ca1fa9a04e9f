package cli

import (
	"github.com/spf13/cobra"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/daemon"
	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/pipeline"
	"github.com/anyanomaly/anyanomaly/stream"
)

// DefaultConfigPath is where `make install` puts the configuration and
// where the systemd unit points.
const DefaultConfigPath = "/etc/anyanomaly/config.yaml"

func newRunCmd(s IO) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon",
		Long: "Runs AnyAnomaly with the configuration FILE: reloads it on SIGHUP and when the file changes,\n" +
			"serves /metrics, /healthz, /readyz and /api/v1/status, and stops cleanly on SIGTERM.\n" +
			"The garbage collector runs with GOGC=50 unless the GOGC environment variable is set.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stream.TuneGC()
			d := daemon.New(daemon.Options{
				ConfigPath: configPath,
				Version:    Version,
				LogOutput:  s.Err,
			}, daemon.Deps{Factory: pipeline.Factory})
			return d.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVarP(&configPath, "config", "c", DefaultConfigPath, "configuration file")
	return cmd
}
