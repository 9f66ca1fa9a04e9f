package vqa

import (
	"errors"
	"fmt"
)

// Class names a kind of failure; Stats counts errors per class.
type Class string

// The error classes. Unavailable and EmptyResponse are retried with backoff
// inside the call's deadline; the others are returned at once.
const (
	ClassModelNotFound Class = "model_not_found"
	ClassNotVision     Class = "not_vision"
	ClassUnavailable   Class = "unavailable"
	ClassEmptyResponse Class = "empty_response"
	ClassTimeout       Class = "timeout"
	ClassBadRequest    Class = "bad_request"
	ClassProtocol      Class = "protocol"
	ClassCanceled      Class = "canceled"
)

// Sentinels for errors.Is, one per class.
var (
	ErrModelNotFound = errors.New("model not found")
	ErrNotVision     = errors.New("model has no vision capability")
	ErrUnavailable   = errors.New("ollama unavailable")
	ErrEmptyResponse = errors.New("empty response")
	ErrTimeout       = errors.New("timeout")
	ErrBadRequest    = errors.New("request refused")
	ErrProtocol      = errors.New("unexpected reply")
	ErrCanceled      = errors.New("canceled")
)

var classSentinel = map[Class]error{
	ClassModelNotFound: ErrModelNotFound,
	ClassNotVision:     ErrNotVision,
	ClassUnavailable:   ErrUnavailable,
	ClassEmptyResponse: ErrEmptyResponse,
	ClassTimeout:       ErrTimeout,
	ClassBadRequest:    ErrBadRequest,
	ClassProtocol:      ErrProtocol,
	ClassCanceled:      ErrCanceled,
}

// Error is every error Client returns: its class, the endpoint (password
// masked) and model, the HTTP status when one came back, and the cause.
type Error struct {
	Class  Class
	URL    string
	Model  string
	Status int
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Msg, e.Err)
	}
	return e.Msg
}

// Unwrap exposes both the class sentinel and the cause.
func (e *Error) Unwrap() []error {
	out := []error{classSentinel[e.Class]}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// ClassOf returns the class of an error from this package, or "" for others.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

func retryable(c Class) bool { return c == ClassUnavailable || c == ClassEmptyResponse }
