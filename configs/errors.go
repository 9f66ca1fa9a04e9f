package configs

import (
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem in a configuration, located by the value's
// path (e.g. "cameras[2].rules[0].threshold") and its line in the file.
type FieldError struct {
	// Path is the value's path; "" for problems of the whole file.
	Path string
	// Line is the 1-based line in the file; 0 when unknown (a value that
	// came from defaults has the line of its nearest written parent).
	Line int
	// Msg says what is wrong and, where possible, what is expected.
	Msg string
}

// Error formats "path: msg (line N)".
func (e FieldError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	return b.String()
}

// Errors is every problem found in a configuration. Load, Parse and
// Validate return it (as error) so callers can list each problem.
type Errors []FieldError

// Error joins the problems, one a line.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// sorted orders problems by line (unknown lines last), keeping the
// discovery order among equals.
func (es Errors) sorted() Errors {
	out := append(Errors(nil), es...)
	sort.SliceStable(out, func(i, j int) bool {
		li, lj := out[i].Line, out[j].Line
		if (li == 0) != (lj == 0) {
			return lj == 0
		}
		return li < lj
	})
	return out
}

// errOrNil returns es as an error, or nil when empty (a nil Errors in an
// error interface would not be nil).
func (es Errors) errOrNil() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}
