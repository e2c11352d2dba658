package apperr

import (
	"errors"

	"github.com/aiwfe/aiwfe/store"
)

// FromStore gives the store's errors their meaning for a caller: a row
// not found is 404 "<what> not found", a duplicate 409 "<what> already
// exists"; any other error (or nil) passes unchanged.
func FromStore(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return NotFound(what)
	case errors.Is(err, store.ErrDuplicate):
		return Conflict(what + " already exists")
	}
	return err
}
