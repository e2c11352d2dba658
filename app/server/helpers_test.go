package server_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/aiwfe/aiwfe/app/server/servertest"
)

// userID is the logged-in client's user id, as a path segment.
func userID(t *testing.T, c *servertest.Client) string {
	t.Helper()
	res := c.Get("/api/v1/auth/validate")
	if res.Status != 200 {
		t.Fatalf("validate: %s", res)
	}
	var b struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	res.JSON(t, &b)
	return fmt.Sprint(b.User.ID)
}

func retryAfter(t *testing.T, res *servertest.Response) int {
	t.Helper()
	n, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil {
		t.Fatalf("Retry-After %q: %s", res.Header.Get("Retry-After"), res)
	}
	return n
}
