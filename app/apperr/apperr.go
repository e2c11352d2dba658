// Package apperr is the one place errors get their HTTP meaning. Services
// return these typed errors (or wrap them); the HTTP layer turns any error
// into {"error":{"code","message"}} with the status carried here.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is an error a client may see.
type Error struct {
	Status     int           `json:"-"`
	Code       string        `json:"code"`
	Message    string        `json:"message"`
	Field      string        `json:"field,omitempty"`
	RetryAfter time.Duration `json:"-"`
	Err        error         `json:"-"` // the cause, logged, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, apperr.ErrNotFound) match any not_found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == ""
}

// Sentinels for errors.Is; match on code.
var (
	ErrNotFound     = &Error{Code: "not_found"}
	ErrConflict     = &Error{Code: "conflict"}
	ErrUnauthorized = &Error{Code: "unauthorized"}
	ErrForbidden    = &Error{Code: "forbidden"}
	ErrValidation   = &Error{Code: "validation_failed"}
)

// New builds an error with an explicit status and code.
func New(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// NotFound: the thing does not exist (or the caller may not know it does).
func NotFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: what + " not found"}
}

// Conflict: the request clashes with current state (duplicate email, ...).
func Conflict(msg string) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: msg}
}

// Invalid names the field that is wrong and why.
func Invalid(field, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "validation_failed", Message: msg, Field: field}
}

// BadRequest is malformed input that is not one field's fault.
func BadRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}

// Unauthorized: no or bad credentials.
func Unauthorized(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: msg}
}

// Forbidden: authenticated but not allowed.
func Forbidden(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
}

// TooMany: rate limited; RetryAfter becomes the Retry-After header.
func TooMany(msg string, retry time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: msg, RetryAfter: retry}
}

// Unavailable: a dependency (Ollama, the CA, ...) cannot serve now.
func Unavailable(msg string, cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: msg, Err: cause}
}

// Internal hides the cause from the client and keeps it for the log.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error", Err: cause}
}

// From converts any error into an *Error, defaulting to internal.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Status == 0 {
			c := *e
			c.Status = statusForCode(e.Code)
			return &c
		}
		return e
	}
	return Internal(err)
}

// CodeForStatus gives the code for framework errors that only carry a status.
func CodeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusRequestTimeout:
		return "timeout"
	case http.StatusRequestHeaderFieldsTooLarge:
		return "request_headers_too_large"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

func statusForCode(code string) int {
	switch code {
	case "not_found":
		return http.StatusNotFound
	case "conflict":
		return http.StatusConflict
	case "unauthorized":
		return http.StatusUnauthorized
	case "forbidden":
		return http.StatusForbidden
	case "validation_failed", "bad_request":
		return http.StatusBadRequest
	case "rate_limited":
		return http.StatusTooManyRequests
	case "unavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
