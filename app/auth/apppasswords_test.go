package auth

import (
	"strings"
	"testing"
)

func TestAppPasswordSecrets(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		s := newAppPasswordSecret()
		if len(s) != appPasswordLen+appPasswordLen/appPasswordGroup-1 || seen[s] {
			t.Fatalf("secret %q (length or repeat)", s)
		}
		seen[s] = true
		n := normalizeAppPassword(s)
		if len(n) != appPasswordLen || strings.ContainsAny(n, "-01lo") {
			t.Fatalf("normalised %q from %q", n, s)
		}
		// What a person types from the screen matches.
		for _, typed := range []string{strings.ToUpper(s), strings.ReplaceAll(s, "-", ""), strings.ReplaceAll(s, "-", " ")} {
			if normalizeAppPassword(typed) != n {
				t.Fatalf("%q does not normalise like %q", typed, s)
			}
		}
	}
	for _, bad := range []string{"", "short", strings.Repeat("a", 25), strings.Repeat("a", 23) + "0", strings.Repeat("a", 23) + "l",
		strings.Repeat("a", 23) + "é", strings.Repeat("a-", 40)} {
		if got := normalizeAppPassword(bad); got != "" {
			t.Errorf("normalizeAppPassword(%q) = %q, want refused", bad, got)
		}
	}
}

// The hash is keyed: the same secret under another key hashes otherwise,
// so the database alone cannot be checked against.
func TestAppPasswordHashKeyed(t *testing.T) {
	a := &Service{appKey: appPasswordKey([]byte("key one, 32 bytes long.........."))}
	b := &Service{appKey: appPasswordKey([]byte("key two, 32 bytes long.........."))}
	s := normalizeAppPassword(newAppPasswordSecret())
	if a.hashAppPassword(s) == b.hashAppPassword(s) || a.hashAppPassword(s) != a.hashAppPassword(s) || len(a.hashAppPassword(s)) != 64 {
		t.Fatal("the hash is not a keyed, stable HMAC-SHA256")
	}
}
