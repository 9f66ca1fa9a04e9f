package ollamatest_test

import (
	"errors"
	"fmt"

	"github.com/ollama/ollama/api"
)

func fmtSscan(s string, v *float64) (int, error) { return fmt.Sscan(s, v) }

func asStatus(err error, se *api.StatusError) bool { return errors.As(err, se) }
