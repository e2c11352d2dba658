package users_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/app/server/servertest"
	"github.com/aiwfe/aiwfe/store"
)

// The profile's cached JSON follows a change of the users row made by
// another service (second factors turning tfa_enabled on), through auth's
// ForgetUser: the cache key is this package's, the hook joins them.
func TestProfileCacheFollowsForgetUser(t *testing.T) {
	ctx := context.Background()
	a := servertest.OpenApp(t)
	u, err := a.Auth.CreateUser(ctx, "ann@example.com", "a long enough passphrase", "user")
	if err != nil {
		t.Fatal(err)
	}
	tfa := func() bool {
		t.Helper()
		b, err := a.Users.ProfileJSON(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			TFA bool `json:"tfa_enabled"`
		}
		json.Unmarshal(b, &p)
		return p.TFA
	}
	if tfa() {
		t.Fatal("2FA on from the start")
	}
	if err := store.SetTFAEnabled(ctx, a.Store.DB, u.ID, true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if tfa() {
		t.Fatal("the cached profile should hold until the row's writer says so (else the test proves nothing)")
	}
	a.Auth.ForgetUser(u.ID)
	if !tfa() {
		t.Error("the profile is stale after ForgetUser")
	}
}
