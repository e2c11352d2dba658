package certs

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aiwfe/aiwfe/store"
	"github.com/aiwfe/aiwfe/tlsmgr"
)

func openClientCertStore(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func issuedLeaf(t *testing.T, ic *tlsmgr.IssuedCert) []*x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(ic.CertPEM)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return []*x509.Certificate{c}
}

// TestClientCertRegistry runs the client CA on the SQLite registry the way
// the appliance does: the server and the CLI are two Stores on the same
// database file, each with its own Registry and ClientCA on the same
// directory.
func TestClientCertRegistry(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "aiwfe.db")
	serverDB := openClientCertStore(t, dbPath)
	server, cli := NewRegistry(serverDB), NewRegistry(openClientCertStore(t, dbPath))

	u, err := store.CreateUser(ctx, serverDB.DB, store.NewUser{Email: "dana@example.test", PasswordHash: "x", Role: "user", Status: "active"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tlsDir := filepath.Join(dir, "tls")
	serverCA, err := tlsmgr.LoadClientCA(tlsDir, server)
	if err != nil {
		t.Fatal(err)
	}
	cliCA, err := tlsmgr.LoadClientCA(tlsDir, cli)
	if err != nil {
		t.Fatal(err)
	}

	// issued by the CLI, accepted by the server
	ic, err := cliCA.Issue(ctx, "dana's phone", 30, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := serverCA.Verify(ctx, issuedLeaf(t, ic))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Serial != ic.Serial || rec.Name != "dana's phone" || rec.UserID != u.ID || rec.Revoked() ||
		!rec.NotAfter.Equal(ic.NotAfter) || !rec.NotBefore.Equal(ic.NotBefore) || rec.CreatedAt.IsZero() {
		t.Errorf("record = %+v, issued %+v", rec, ic)
	}

	// a certificate not tied to a user
	kiosk, err := serverCA.Issue(ctx, "kiosk", 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := cli.ListClientCerts(ctx)
	if err != nil || len(recs) != 2 {
		t.Fatalf("List = %+v, %v", recs, err)
	}
	if recs[0].Serial != ic.Serial || recs[1].Serial != kiosk.Serial || recs[1].UserID != 0 {
		t.Errorf("List order/content: %+v", recs)
	}

	// duplicate serial
	if err := server.AddClientCert(ctx, recs[0]); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("duplicate add: %v", err)
	}

	// unknown serials
	if _, err := server.GetClientCert(ctx, "abc"); !errors.Is(err, tlsmgr.ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get unknown: %v", err)
	}
	if err := server.RevokeClientCert(ctx, "abc", time.Now()); !errors.Is(err, tlsmgr.ErrNotFound) {
		t.Errorf("Revoke unknown: %v", err)
	}
	if err := cliCA.Revoke(ctx, "abc"); !errors.Is(err, tlsmgr.ErrNotFound) {
		t.Errorf("CA Revoke unknown: %v", err)
	}

	// revoked by the CLI: the server refuses it on the next verification
	if err := cliCA.Revoke(ctx, ic.Serial); err != nil {
		t.Fatal(err)
	}
	if _, err := serverCA.Verify(ctx, issuedLeaf(t, ic)); !errors.Is(err, tlsmgr.ErrBadClientCert) || !errors.Is(err, tlsmgr.ErrClientCertRevoked) {
		t.Errorf("after revoke: %v", err)
	}
	first, _ := server.GetClientCert(ctx, ic.Serial)
	if first.RevokedAt == nil {
		t.Fatal("revoked_at not set")
	}
	if err := server.RevokeClientCert(ctx, ic.Serial, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	again, _ := server.GetClientCert(ctx, ic.Serial)
	if !again.RevokedAt.Equal(*first.RevokedAt) {
		t.Errorf("second revoke moved revoked_at %v -> %v", first.RevokedAt, again.RevokedAt)
	}

	// a user's certificates go with the user
	other, err := serverCA.Issue(ctx, "dana's laptop", 30, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serverDB.DB.ExecContext(ctx, "DELETE FROM users WHERE id = ?", u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := serverCA.Verify(ctx, issuedLeaf(t, other)); !errors.Is(err, tlsmgr.ErrClientCertUnknown) {
		t.Errorf("after deleting the user: %v", err)
	}
	if _, err := serverCA.Verify(ctx, issuedLeaf(t, kiosk)); err != nil {
		t.Errorf("kiosk certificate: %v", err)
	}
}
