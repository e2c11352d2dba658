package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Fingerprint identifies a device by its user agent and client hints,
// hashed so the table holds no raw header combinations.
func (c Client) Fingerprint() string {
	h := sha256.New()
	for _, p := range []string{c.UserAgent, c.HintUA, c.HintPlatform, c.HintMobile} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DeviceName is a human name for the client: "Chrome on Linux".
func (c Client) DeviceName() string {
	ua := c.UserAgent
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client/", "Go client"},
		{"python-requests/", "Python client"}, {"aiwfe", "aiwfe app"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	osName := ""
	if p := strings.Trim(c.HintPlatform, `" `); p != "" {
		osName = p
	} else {
		for _, o := range []struct{ token, name string }{
			{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
			{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
			{"FreeBSD", "FreeBSD"},
		} {
			if strings.Contains(ua, o.token) {
				osName = o.name
				break
			}
		}
	}
	switch {
	case browser != "" && osName != "":
		return browser + " on " + osName
	case browser != "":
		return browser
	case osName != "":
		return "Browser on " + osName
	}
	return "Unknown device"
}
