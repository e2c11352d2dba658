package app

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aiwfe/aiwfe/app/config"
)

// Secrets are the keys the appliance signs and encrypts with. Unless the
// config gives them they are generated on first run and kept, 0600, in
// secrets.json in the data directory.
type Secrets struct {
	JWT  []byte `json:"-"`
	CSRF []byte `json:"-"`
	// Encryption encrypts values at rest (API keys, TOTP secrets).
	Encryption []byte `json:"-"`
}

type secretsFile struct {
	JWT        string `json:"jwt_secret"`
	CSRF       string `json:"csrf_secret"`
	Encryption string `json:"encryption_key"`
}

// LoadSecrets reads or creates the data directory's secrets file, with the
// config's jwt_secret and csrf_secret taking precedence when set.
func LoadSecrets(cfg *config.Config) (*Secrets, error) {
	path := cfg.Path("secrets.json")
	var f secretsFile
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("%s is damaged: %w", path, err)
		}
	case os.IsNotExist(err):
	default:
		return nil, err
	}
	changed := false
	for _, s := range []*string{&f.JWT, &f.CSRF, &f.Encryption} {
		if *s == "" {
			*s = randomHex(32)
			changed = true
		}
	}
	if changed {
		out, _ := json.MarshalIndent(f, "", "  ")
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, out, 0o600); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, err
		}
	}
	sec := &Secrets{}
	for _, p := range []struct {
		dst      *[]byte
		fromFile string
		fromCfg  string
	}{
		{&sec.JWT, f.JWT, cfg.Auth.JWTSecret},
		{&sec.CSRF, f.CSRF, cfg.Auth.CSRFSecret},
		{&sec.Encryption, f.Encryption, ""},
	} {
		if p.fromCfg != "" {
			*p.dst = []byte(p.fromCfg)
			continue
		}
		b, err := hex.DecodeString(p.fromFile)
		if err != nil || len(b) < 16 {
			return nil, fmt.Errorf("%s holds a malformed secret", path)
		}
		*p.dst = b
	}
	return sec, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
