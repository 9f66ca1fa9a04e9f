package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/anyanomaly/anyanomaly/alerts"
)

func newEventsCmd(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Watch alerts",
	}
	var o alerts.TailOptions
	tail := &cobra.Command{
		Use:   "tail",
		Short: "Print live events, one line each: time, camera, rule, kind, score, reason",
		Long: "Reads <prefix>.events.<camera>.<rule> from the JetStream stream (--stream) and prints every new event once, as it is\n" +
			"stored; after a lost connection it resumes where it stopped. Without the stream it falls back to the live subjects.\n" +
			"Secrets come from the environment, never from flags: ANYANOMALY_NATS_PASSWORD, ANYANOMALY_NATS_TOKEN.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Password = alerts.Secret(os.Getenv("ANYANOMALY_NATS_PASSWORD"))
			o.Token = alerts.Secret(os.Getenv("ANYANOMALY_NATS_TOKEN"))
			return alerts.Tail(cmd.Context(), o, s.Out)
		},
	}
	f := tail.Flags()
	f.StringVar(&o.Server, "server", "nats://127.0.0.1:4222", "NATS server URL, or several separated by commas")
	f.StringVar(&o.Prefix, "prefix", alerts.DefaultSubjectPrefix, "subject prefix")
	f.StringVar(&o.Stream, "stream", alerts.DefaultStream, "JetStream stream holding the events (nats.stream)")
	f.StringVar(&o.Camera, "camera", "", "only this camera id")
	f.StringVar(&o.Rule, "rule", "", "only this rule id")
	f.StringVar(&o.User, "user", "", "NATS user (password from ANYANOMALY_NATS_PASSWORD)")
	f.StringVar(&o.CredsFile, "creds", "", "NATS .creds file")
	f.StringVar(&o.NKeySeedFile, "nkey", "", "NKey seed file")
	f.StringVar(&o.TLSCAFile, "tls-ca", "", "CA file to verify the server")
	f.StringVar(&o.TLSCertFile, "tls-cert", "", "client certificate file")
	f.StringVar(&o.TLSKeyFile, "tls-key", "", "client key file")
	f.BoolVar(&o.JSON, "json", false, "print raw JSON payloads instead of summary lines")
	cmd.AddCommand(tail)
	return cmd
}
