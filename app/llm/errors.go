package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors; every error the providers return wraps one of them (or a
// context error when the caller cancelled), so callers test with errors.Is.
var (
	// ErrModelNotFound: the model is not installed / does not exist.
	ErrModelNotFound = errors.New("model not found")
	// ErrUnavailable: the upstream cannot be reached, timed out, failed
	// with a 5xx, or dropped the stream.
	ErrUnavailable = errors.New("llm upstream unavailable")
	// ErrBadRequest: the upstream rejected the request as invalid.
	ErrBadRequest = errors.New("bad llm request")
	// ErrUnauthorized: the upstream rejected the API key (401/403).
	ErrUnauthorized = errors.New("llm upstream refused the credentials")
)

// APIError is an error the upstream reported, with its HTTP status (0 when
// it came as an error line inside a stream that had started) and its message.
type APIError struct {
	Provider   string
	StatusCode int
	Message    string
	kind       error
}

func (e *APIError) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("%s: %s", e.Provider, e.Message)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.Provider, e.StatusCode, e.Message)
}

// Unwrap gives the sentinel the error belongs to.
func (e *APIError) Unwrap() error { return e.kind }

// newAPIError classifies an upstream error. modelCall says the request named
// a model, so a 404 means that model is missing rather than a wrong URL.
func newAPIError(provider string, status int, msg string, modelCall bool) *APIError {
	if msg == "" {
		msg = http.StatusText(status)
	}
	e := &APIError{Provider: provider, StatusCode: status, Message: msg}
	switch {
	case status == http.StatusNotFound && modelCall, status == 0 && mentionsMissingModel(msg):
		e.kind = ErrModelNotFound
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		e.kind = ErrUnauthorized
	case status >= 400 && status < 500 && status != http.StatusNotFound &&
		status != http.StatusRequestTimeout && status != http.StatusTooManyRequests && status != 499:
		e.kind = ErrBadRequest
	default:
		e.kind = ErrUnavailable
	}
	return e
}

// mentionsMissingModel recognises in-stream errors about a missing model,
// e.g. a pull of a name the registry does not have.
func mentionsMissingModel(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "file does not exist") ||
		(strings.Contains(m, "model") && strings.Contains(m, "not found"))
}

// unavailable wraps a transport-level failure.
func unavailable(provider, what string, err error) error {
	return fmt.Errorf("%w: %s %s: %w", ErrUnavailable, provider, what, err)
}
