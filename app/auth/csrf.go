package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// CSRFTokenTTL is how long a CSRF token is accepted.
const CSRFTokenTTL = time.Hour

// NewCSRFToken makes "<unix-ts>:<nonce>:<hex HMAC-SHA256(ts:nonce)>".
func (s *Service) NewCSRFToken() string {
	var n [16]byte
	rand.Read(n[:])
	payload := strconv.FormatInt(s.now().Unix(), 10) + ":" + hex.EncodeToString(n[:])
	return payload + ":" + s.csrfMAC(payload)
}

func (s *Service) csrfMAC(payload string) string {
	m := hmac.New(sha256.New, s.csrf)
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckCSRF verifies the double submit: the header and cookie values are
// equal (constant time), the signature is ours and the token is less than
// an hour old.
func (s *Service) CheckCSRF(header, cookie string) bool {
	if header == "" || cookie == "" || len(header) > 256 {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(header), []byte(cookie)) != 1 {
		return false
	}
	i := strings.LastIndexByte(header, ':')
	if i < 0 {
		return false
	}
	payload, sig := header[:i], header[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.csrfMAC(payload))) {
		return false
	}
	ts, _, ok := strings.Cut(payload, ":")
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	age := s.now().Sub(time.Unix(sec, 0))
	// A little skew into the future is tolerated; more is a forgery signed
	// with our key, which cannot happen, or a clock jump.
	return age < CSRFTokenTTL && age > -time.Minute
}
