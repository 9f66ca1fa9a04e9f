package redact

import (
	"errors"
	"io/fs"
	"testing"
)

func TestTextAndWrap(t *testing.T) {
	// net/http's form: the password already replaced, the user name
	// (here equal to it) left.
	cause := &fs.PathError{Op: "post", Path: "http://admin:***@h:11434/api/chat", Err: fs.ErrNotExist}
	text := Text(cause.Error(), []string{"admin", ""})
	if want := "post http://***:***@h:11434/api/chat: file does not exist"; text != want {
		t.Fatalf("Text = %q, want %q", text, want)
	}
	err := Wrap(cause, text)
	if err.Error() != text || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Wrap = %v: want the masked text and the cause underneath", err)
	}
	if Wrap(cause, cause.Error()) != error(cause) || Wrap(nil, "x") != nil {
		t.Fatal("Wrap wrapped an error whose text did not change, or nil")
	}
}
