package apperr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

func TestFromStore(t *testing.T) {
	other := errors.New("disk full")
	for _, tc := range []struct {
		in         error
		status     int
		code, text string
	}{
		{fmt.Errorf("get: %w", store.ErrNotFound), 404, "not_found", "task not found"},
		{store.ErrDuplicate, 409, "conflict", "task already exists"},
		{other, 500, "internal", "internal error"},
	} {
		e := apperr.From(apperr.FromStore(tc.in, "task"))
		if e.Status != tc.status || e.Code != tc.code || e.Message != tc.text {
			t.Errorf("%v: %d %s %q", tc.in, e.Status, e.Code, e.Message)
		}
	}
	if apperr.FromStore(nil, "task") != nil {
		t.Error("nil is not nil")
	}
	if !errors.Is(apperr.FromStore(other, "task"), other) {
		t.Error("another error is not passed through")
	}
}
