package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// passphraseEnv is where scripts put the backup passphrase; it is not a
// config key, so it never lands in a config file or the config's dump.
const passphraseEnv = "AIWFE_BACKUP_PASSPHRASE"

// backupPassphrase is the passphrase of an encrypted backup: from
// AIWFE_BACKUP_PASSPHRASE, else typed at a prompt without echo (twice
// when confirm is set, for a new backup), else one line piped on stdin.
func (c *Ctx) backupPassphrase(confirm bool) (string, error) {
	for _, kv := range c.Environ {
		if v, ok := strings.CutPrefix(kv, passphraseEnv+"="); ok && v != "" {
			return v, nil
		}
	}
	if f, ok := c.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		read := func(prompt string) (string, error) {
			fmt.Fprint(c.Stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(c.Stderr)
			return string(b), err
		}
		p, err := read("backup passphrase: ")
		if err != nil || !confirm {
			return p, err
		}
		again, err := read("the same passphrase again: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("the two passphrases differ")
		}
		return p, nil
	}
	if c.Stdin == nil {
		return "", nil
	}
	line, err := bufio.NewReader(io.LimitReader(c.Stdin, 4<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
