// Command anyanomaly is the AnyAnomaly daemon and its tools.
package main

import (
	"os"

	"github.com/anyanomaly/anyanomaly/cmd/anyanomaly/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
