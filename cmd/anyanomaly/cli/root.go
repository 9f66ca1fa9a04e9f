// Package cli holds the anyanomaly command tree. Every subcommand is built by
// a constructor in its own file; tests run the whole CLI through Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Version is set at link time (-ldflags "-X ...cli.Version=...").
var Version = "dev"

// IO carries the standard streams so tests can capture them.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// ExitError makes Main exit with a specific code without printing again.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// NewRoot builds the command tree.
func NewRoot(s IO) *cobra.Command {
	root := &cobra.Command{
		Use:           "anyanomaly",
		Short:         "Real-time video anomaly detection with a local vision-language model",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(
		newRunCmd(s),
		newProbeCmd(s),
		newReplayCmd(s),
		newDetectCmd(s),
		newEvalCmd(s),
		newEventsCmd(s),
		newConfigCmd(s),
	)
	return root
}

// Main runs the CLI with args and returns the process exit code. SIGINT and
// SIGTERM cancel the command's context.
func Main(args []string, in io.Reader, out, errw io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	root := NewRoot(IO{In: in, Out: out, Err: errw})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(errw, "anyanomaly:", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintln(errw, "anyanomaly:", err)
	return 1
}
