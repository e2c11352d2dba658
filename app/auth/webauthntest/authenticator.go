// Package webauthntest is a software WebAuthn authenticator for tests: an
// ECDSA P-256 key per credential, "none" attestation, assertions with a
// sign counter the test controls. It speaks the browser's JSON forms
// (PublicKeyCredential.toJSON()), so a test can drive the real server's
// begin/finish endpoints without a browser, and craft the unhappy cases
// a browser never produces (another origin, a counter going back).
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator holds credentials and signs for one origin.
type Authenticator struct {
	// Origin is what the client data claims (the page's origin).
	Origin string
	// UserVerified sets the UV flag (PIN or biometrics done).
	UserVerified bool
	creds        []*Credential
}

// Credential is one key pair the authenticator made.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey
	RPID       string
	UserHandle []byte
	// Counter is the sign counter; each assertion adds one before signing.
	// Tests set it back to fake a cloned authenticator.
	Counter uint32
}

// New makes an authenticator that signs as a page of origin, with user
// verification.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin, UserVerified: true} }

// Credentials lists what the authenticator holds.
func (a *Authenticator) Credentials() []*Credential { return a.creds }

var b64 = base64.RawURLEncoding

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func (a *Authenticator) flags(extra byte) byte {
	f := byte(0x01) | extra // user present
	if a.UserVerified {
		f |= 0x04
	}
	return f
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

// Create answers navigator.credentials.create for the options JSON a
// register/begin endpoint returned; it returns the credential JSON.
func (a *Authenticator) Create(options []byte) ([]byte, *Credential, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, err
	}
	if o.PublicKey.Challenge == "" || o.PublicKey.RP.ID == "" {
		return nil, nil, errors.New("webauthntest: options lack challenge or rp.id")
	}
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("webauthntest: user.id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id := make([]byte, 32)
	rand.Read(id)
	c := &Credential{ID: id, Key: key, RPID: o.PublicKey.RP.ID, UserHandle: handle}

	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, nil, err
	}
	raw := pub.Bytes() // 0x04 || X || Y
	enc, _ := cbor.CTAP2EncOptions().EncMode()
	cose, err := enc.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		return nil, nil, err
	}
	rpHash := sha256.Sum256([]byte(c.RPID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(0x40)) // attested credential data
	auth = binary.BigEndian.AppendUint32(auth, 0)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(id)))
	auth = append(auth, id...)
	auth = append(auth, cose...)
	att, err := enc.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, nil, err
	}
	cd := clientData("webauthn.create", o.PublicKey.Challenge, a.Origin)
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	a.creds = append(a.creds, c)
	return out, c, nil
}

// Get answers navigator.credentials.get with credential c (nil: the
// first one allowed by the options, or the first held for the RP id).
func (a *Authenticator) Get(options []byte, c *Credential) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	if o.PublicKey.Challenge == "" {
		return nil, errors.New("webauthntest: options lack a challenge")
	}
	if c == nil {
		c = a.pick(o)
	}
	if c == nil {
		return nil, errors.New("webauthntest: no credential for these options")
	}
	return a.Sign(c, o.PublicKey.Challenge, a.Origin)
}

func (a *Authenticator) pick(o requestOptions) *Credential {
	for _, c := range a.creds {
		if len(o.PublicKey.AllowCredentials) == 0 && c.RPID == o.PublicKey.RPID {
			return c
		}
		for _, ac := range o.PublicKey.AllowCredentials {
			if ac.ID == b64.EncodeToString(c.ID) {
				return c
			}
		}
	}
	return nil
}

// Sign makes an assertion for challenge as if from origin, moving the
// counter on by one.
func (a *Authenticator) Sign(c *Credential, challenge, origin string) ([]byte, error) {
	c.Counter++
	rpHash := sha256.Sum256([]byte(c.RPID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(0))
	auth = binary.BigEndian.AppendUint32(auth, c.Counter)
	cd := clientData("webauthn.get", challenge, origin)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(auth),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.UserHandle),
		},
	})
}
