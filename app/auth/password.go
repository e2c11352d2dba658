package auth

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// Password length limits. The upper one keeps hashing cheap to refuse: a
// megabyte "password" is rejected before argon2 ever sees it.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 1024
)

// Argon2Params are argon2id's cost settings.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := make(map[string]bool, 1100)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[strings.ToLower(line)] = true
	}
	return m
}()

// IsCommonPassword reports whether p is on the common-passwords list,
// ignoring case.
func IsCommonPassword(p string) bool { return commonPasswords[strings.ToLower(p)] }

// CheckPasswordPolicy validates a new password; field names the request
// field in errors.
func CheckPasswordPolicy(field, p string) error {
	switch {
	case len(p) > MaxPasswordLen:
		return apperr.Invalid(field, fmt.Sprintf("password must be at most %d characters", MaxPasswordLen))
	case utf8.RuneCountInString(p) < MinPasswordLen:
		return apperr.Invalid(field, fmt.Sprintf("password must be at least %d characters", MinPasswordLen))
	case !utf8.ValidString(p):
		return apperr.Invalid(field, "password must be valid UTF-8")
	case IsCommonPassword(p):
		return apperr.Invalid(field, "this password is too common; choose another")
	}
	return nil
}

// HashPassword hashes with argon2id and returns the PHC string
// $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func HashPassword(p string, prm Argon2Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2IDKey([]byte(p), salt, prm.Iterations, prm.MemoryKiB, prm.Parallelism, 32)
	return phcString(prm, salt, key), nil
}

// argon2IDKey is argon2.IDKey; tests count the runs through it.
var argon2IDKey = argon2.IDKey

func phcString(prm Argon2Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, prm.MemoryKiB, prm.Iterations, prm.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("auth: malformed password hash")

// VerifyPassword checks p against a PHC argon2id string, with the
// parameters the hash was made with.
func VerifyPassword(p, phc string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errBadHash
	}
	var prm Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &prm.MemoryKiB, &prm.Iterations, &prm.Parallelism); err != nil {
		return false, errBadHash
	}
	if prm.MemoryKiB == 0 || prm.MemoryKiB > 1<<22 || prm.Iterations == 0 || prm.Iterations > 64 || prm.Parallelism == 0 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2IDKey([]byte(p), salt, prm.Iterations, prm.MemoryKiB, prm.Parallelism, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// GeneratePassword makes a random password for resets: 20 characters from
// an alphabet without look-alikes (about 115 bits).
func GeneratePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
