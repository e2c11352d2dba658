package datarights

import (
	"testing"
	"time"
)

func TestExportFilename(t *testing.T) {
	at := time.Date(2026, 11, 27, 23, 30, 0, 0, time.FixedZone("X", -3*3600)) // 2026-11-28 in UTC
	for email, want := range map[string]string{
		"ann@example.com":       "aiwfe-export-ann@example.com-2026-11-28.json",
		"a+b.c-d_e@example.com": "aiwfe-export-a+b.c-d_e@example.com-2026-11-28.json",
		// Quotes, slashes, spaces, non-ASCII and line breaks cannot break
		// out of the Content-Disposition header.
		"x\"y/z é;\r\n@example.com": "aiwfe-export-x_y_z_____@example.com-2026-11-28.json",
	} {
		if got := ExportFilename(email, at); got != want {
			t.Errorf("ExportFilename(%q) = %q, want %q", email, got, want)
		}
	}
}
