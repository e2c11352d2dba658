package chat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/auth"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// DemoEmail is the demo account of `aiwfe serve --demo`.
const DemoEmail = "demo@aiwfe.local"

// demoCredentialsFile keeps the demo password in the data directory so that
// every start can print it again.
const demoCredentialsFile = "demo-credentials.txt"

// demoSeededKey marks in settings that the demo conversations were made,
// so a restart never makes them twice (nor again after the user deleted
// them).
const demoSeededKey = "demo.seeded"

// DemoAccounts is the part of the accounts service the seed uses.
type DemoAccounts interface {
	CreateUser(ctx context.Context, email, password, role string) (*auth.UserView, error)
	ResetPassword(ctx context.Context, email, password string) error
}

// DemoCredentials are what `aiwfe serve --demo` prints.
type DemoCredentials struct {
	Email    string
	Password string
	// Created is true when this start made the account.
	Created bool
}

// demoPrompts are the seeded conversations' first messages.
var demoPrompts = []struct{ mode, message string }{
	{"general", "Hello! What can you help me with?"},
	// Said as commitments, so that "find tasks in this chat" (and the
	// demo's seeded opportunities) find some.
	{"general", "Help me plan my week. I need to finish the quarterly report by friday, and I have to book the car service. A dentist appointment and time for running should fit in too."},
	{"coding", "Write a Go function that reverses a string, with a test."},
}

// SeedDemo prepares demo mode: the demo account (an admin, so that it can
// approve the people who register on the demo) with a generated password
// kept in the data directory, and a few conversations written by really
// running the demo model. It is idempotent: later starts find the account,
// read the password back (or set a new one when the file is gone) and make
// no conversations again.
func SeedDemo(ctx context.Context, svc *Service, accounts DemoAccounts, dataDir string) (*DemoCredentials, error) {
	credPath := filepath.Join(dataDir, demoCredentialsFile)
	creds := &DemoCredentials{Email: DemoEmail}
	u, err := store.UserByEmail(ctx, svc.store.DB, DemoEmail)
	switch {
	case errors.Is(err, store.ErrNotFound):
		creds.Password, creds.Created = auth.GeneratePassword(), true
		if _, err := accounts.CreateUser(ctx, DemoEmail, creds.Password, "admin"); err != nil {
			return nil, fmt.Errorf("demo account: %w", err)
		}
		if err := writeDemoPassword(credPath, creds.Password); err != nil {
			return nil, err
		}
		if u, err = store.UserByEmail(ctx, svc.store.DB, DemoEmail); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	default:
		raw, rerr := os.ReadFile(credPath)
		creds.Password = strings.TrimSpace(string(raw))
		if rerr != nil || creds.Password == "" {
			creds.Password = auth.GeneratePassword()
			if err := accounts.ResetPassword(ctx, DemoEmail, creds.Password); err != nil {
				return nil, fmt.Errorf("demo account: %w", err)
			}
			if err := writeDemoPassword(credPath, creds.Password); err != nil {
				return nil, err
			}
		}
	}
	if err := svc.seedDemoConversations(ctx, u.ID); err != nil {
		return creds, fmt.Errorf("demo conversations: %w", err)
	}
	return creds, nil
}

func writeDemoPassword(path, password string) error {
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("demo account: keeping the password: %w", err)
	}
	return nil
}

func (s *Service) seedDemoConversations(ctx context.Context, userID int64) error {
	done, err := store.SettingExists(ctx, s.store.DB, demoSeededKey)
	if err != nil || done {
		return err
	}
	// The demo model answers the same words whatever its pace; seed at
	// full speed rather than at the UI's streaming pace.
	seeder := New(Deps{Store: s.store, LLM: llm.NewDemo(0), Hub: s.hub, Log: s.log, Now: s.now, DefaultModel: llm.DemoModel})
	defer seeder.Close()
	for _, p := range demoPrompts {
		reply, err := seeder.Send(ctx, SendRequest{UserID: userID, Mode: p.mode, Model: llm.DemoModel, Message: p.message})
		if err != nil {
			var ae *apperr.Error
			if errors.As(err, &ae) {
				return fmt.Errorf("%s: %w", p.message, err)
			}
			return err
		}
		// Made at full speed, the replies' timings would read as
		// hundreds of thousands of tokens a second: keep none.
		reply.Message.Timing = nil
		if err := store.FinishMessage(ctx, s.store.DB, userID, reply.Message); err != nil {
			return err
		}
	}
	// The seeder's indexer stopped with it; this service's indexes the
	// seeded messages.
	s.index.kick()
	return store.SetSetting(ctx, s.store.DB, demoSeededKey, "true", s.now())
}
