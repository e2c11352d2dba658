package backup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"filippo.io/age"
)

// An archive written with a passphrase is the same gzipped tar inside an
// age file (filippo.io/age, scrypt recipient): the database, the JWT, CSRF
// and at-rest keys in secrets.json and the client CA's private key are then
// unreadable without the passphrase, so the archive may sit on a shared
// disk or leave the house.

// ageMagic starts every binary age file.
var ageMagic = []byte("age-encryption.org/v1\n")

// ErrPassphraseNeeded is returned when an encrypted archive is restored
// without a passphrase; ErrWrongPassphrase when the passphrase does not
// open it. Both wrap ErrUnusable: nothing was changed.
var (
	ErrPassphraseNeeded = fmt.Errorf("%w: the backup is encrypted and needs its passphrase", ErrUnusable)
	ErrWrongPassphrase  = fmt.Errorf("%w: wrong passphrase", ErrUnusable)
)

// MinPassphrase is the shortest passphrase Write accepts: scrypt slows a
// guesser down, it cannot save a passphrase of four letters.
const MinPassphrase = 10

// scryptWorkFactor is log2 of scrypt's cost when encrypting: 18 is age's
// own default (about a second on a Raspberry Pi 4, well under on a PC);
// in-package tests lower it. Restoring accepts up to age's maximum.
var scryptWorkFactor = 18

// Options are Write's and Restore's optional parts.
type Options struct {
	// Passphrase, when set, encrypts the archive Write makes, and opens an
	// encrypted one for Restore.
	Passphrase string
}

// Encrypted reports whether the file at p is an encrypted archive (so a
// caller knows to ask for the passphrase before restoring it).
func Encrypted(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, len(ageMagic))
	n, _ := io.ReadFull(f, head)
	return bytes.Equal(head[:n], ageMagic), nil
}

// encryptTo wraps w so that what is written is encrypted for passphrase;
// closing the result finishes the age file (it does not close w).
func encryptTo(w io.Writer, passphrase string) (io.WriteCloser, error) {
	if err := checkPassphrase(passphrase); err != nil {
		return nil, err
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(scryptWorkFactor)
	return age.Encrypt(w, r)
}

func checkPassphrase(p string) error {
	if len([]rune(p)) < MinPassphrase {
		return fmt.Errorf("the passphrase must have at least %d characters", MinPassphrase)
	}
	return nil
}

// decryptFrom opens an age file with passphrase. A passphrase that does
// not fit is ErrWrongPassphrase; anything else wrong with the file is
// ErrUnusable.
func decryptFrom(r io.Reader, passphrase string) (io.Reader, error) {
	if passphrase == "" {
		return nil, ErrPassphraseNeeded
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, unusable("%v", err)
	}
	plain, err := age.Decrypt(r, id)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, unusable("not a readable encrypted backup: %v", err)
	}
	return bufio.NewReaderSize(plain, 256<<10), nil
}
