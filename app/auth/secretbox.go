package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// SecretBox encrypts small values at rest (web-search API keys, TOTP
// secrets) with AES-256-GCM. The output is base64 of nonce || ciphertext.
type SecretBox struct {
	aead cipher.AEAD
}

// NewSecretBox derives the AES-256 key from the appliance's encryption
// secret (any length of at least 16 bytes).
func NewSecretBox(secret []byte) (*SecretBox, error) {
	if len(secret) < 16 {
		return nil, errors.New("auth: encryption secret is too short")
	}
	key := sha256.Sum256(append([]byte("aiwfe secretbox v1\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &SecretBox{aead: aead}, nil
}

// Seal encrypts plain; context binds the ciphertext to its place (e.g.
// "users.web_search_api_key:42") so it cannot be moved to another row.
func (b *SecretBox) Seal(plain, context string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return base64.RawStdEncoding.EncodeToString(out), nil
}

// ErrDecrypt means a sealed value is damaged or was sealed with another key
// or context.
var ErrDecrypt = errors.New("auth: cannot decrypt value")

// Open decrypts what Seal produced with the same context.
func (b *SecretBox) Open(sealed, context string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", ErrDecrypt
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(context))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(plain), nil
}
