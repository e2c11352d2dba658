package servertest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// OATHTool computes a TOTP code for secret (base32, unpadded) at instant
// at with Debian's oathtool, an implementation independent of the
// server's. Without oathtool the test is skipped, unless
// AIWFE_REQUIRE_PEERS=1 (then it fails).
func OATHTool(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	path, err := exec.LookPath("oathtool")
	if err != nil {
		if os.Getenv("AIWFE_REQUIRE_PEERS") == "1" {
			t.Fatal("oathtool is required (apt-get install oathtool)")
		}
		t.Skip("oathtool not installed")
	}
	out, err := exec.Command(path, "--totp", "-b", "-N", "@"+strconv.FormatInt(at.Unix(), 10), secret).Output()
	if err != nil {
		t.Fatalf("oathtool: %v", err)
	}
	return strings.TrimSpace(string(out))
}
