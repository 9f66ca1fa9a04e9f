package redact

import "strings"

// Text returns s with the credentials of every URL in it masked (as
// URLsInText does) and every one of secrets replaced by Mask wherever it
// appears: libraries quote URLs with the password already replaced by
// something of their own, which leaves it readable where the user name
// contains it.
func Text(s string, secrets []string) string {
	s = URLsInText(s)
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return s
}

// Wrap returns an error that prints text (err's text with credentials
// removed) and unwraps to err, so errors.Is and errors.As still see it. It
// returns err itself when text is what err prints, and nil for nil.
func Wrap(err error, text string) error {
	if err == nil || text == err.Error() {
		return err
	}
	return &wrapped{err: err, text: text}
}

type wrapped struct {
	err  error
	text string
}

func (e *wrapped) Error() string { return e.text }
func (e *wrapped) Unwrap() error { return e.err }
