package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/anyanomaly/anyanomaly/configs"
)

func newConfigCmd(s IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check configuration files",
	}
	var show bool
	check := &cobra.Command{
		Use:   "check FILE",
		Short: "Validate a configuration file: a one-line summary, or every error with its path and line",
		Long: "Loads FILE exactly as `anyanomaly run` would (defaults, YAML, ${ENV}/${file:…}/${cred:…} substitution,\n" +
			"validation). Exit status 0 and a one-line summary when it is valid; otherwise every problem, one a line,\n" +
			"with its path and line, and exit status 1.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			cfg, err := configs.Load(path)
			if err != nil {
				var errs configs.Errors
				if errors.As(err, &errs) {
					for _, e := range errs {
						fmt.Fprintf(s.Err, "%s: %s\n", path, e.Error())
					}
					return &ExitError{Code: 1, Err: fmt.Errorf("%s: %d problem(s)", path, len(errs))}
				}
				return &ExitError{Code: 1, Err: err}
			}
			fmt.Fprintf(s.Out, "%s: OK: %s\n", path, cfg.Summary())
			if show {
				// Secrets marshal masked, so the effective config is safe
				// to paste into a bug report.
				out, err := yaml.Marshal(cfg)
				if err != nil {
					return fmt.Errorf("print config: %w", err)
				}
				fmt.Fprint(s.Out, string(out))
			}
			return nil
		},
	}
	check.Flags().BoolVar(&show, "show", false, "also print the effective configuration (defaults applied, secrets masked)")
	schema := &cobra.Command{
		Use:   "schema",
		Short: "Print the configuration's JSON Schema (for editors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := s.Out.Write(configs.Schema())
			return err
		},
	}
	cmd.AddCommand(check, schema)
	return cmd
}
