// Package dav is the CalDAV server (RFC 4791) on /dav/: the protocol of
// github.com/emersion/go-webdav's caldav package over the calendar
// service. Each user's calendars are calendar collections; every VEVENT
// of one UID is one calendar object resource with the calendar service's
// ETag. Feed calendars are served read-only (writes: 403).
//
// The layout of the URL space (go-webdav tells resources apart by depth):
//
//	/dav/                              root: points at the principal
//	/dav/{user id}/                    the principal
//	/dav/{user id}/calendars/          the calendar home set
//	/dav/{user id}/calendars/{id}/     a calendar (the calendar service's id,
//	                                   or the name a client made it under)
//	/dav/{user id}/calendars/{id}/{name}.ics   an object; name is the UID
//
// A UID that is not safe in a URL segment is named by its hash instead
// ("h-" and 40 hex digits). The package is an HTTP handler, mounted by
// app/server after authentication, which puts the caller in the request's
// context (WithUser).
package dav

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"

	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/store"
)

// Prefix is where the server is mounted.
const Prefix = "/dav"

// User is the authenticated caller.
type User struct {
	ID    int64
	Email string
}

type userKey struct{}

type ifMatchKey struct{}

// WithUser puts the caller into ctx; every request needs one.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

func userFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey{}).(User)
	return u, ok && u.ID != 0
}

// Deps are what the handler needs.
type Deps struct {
	Calendar *calendar.Service
	// Store keeps the names clients made calendars under.
	Store *store.Store
	Log   *slog.Logger
	// MaxResourceSize is the largest calendar object accepted (the
	// server's body limit), announced as CALDAV:max-resource-size.
	MaxResourceSize int64
}

// Handler serves CalDAV.
type Handler struct {
	cal *caldav.Handler
	b   *backend
	log *slog.Logger
}

// New builds the handler.
func New(d Deps) *Handler {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &backend{cal: d.Calendar, store: d.Store, log: log, maxSize: d.MaxResourceSize}
	return &Handler{cal: &caldav.Handler{Backend: b, Prefix: Prefix}, b: b, log: log}
}

// ServeHTTP answers one CalDAV request of the user in the request's
// context.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u, ok := userFrom(r.Context())
	if !ok {
		http.Error(w, "not authenticated", http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case "MKCALENDAR", "MKCOL":
		h.mkcalendar(w, r, u)
		return
	case "PROPFIND":
		h.propfind(w, r) // props.go: with the properties go-webdav lacks
		return
	case "REPORT":
		h.report(w, r) // sync.go: sync-collection here, the rest go-webdav's
		return
	case "PROPPATCH":
		// Renaming and recolouring are the web app's; answering 403
		// tells clients the properties stay as they are.
		http.Error(w, "calendar properties are changed in the aiwfe web app", http.StatusForbidden)
		return
	case http.MethodDelete:
		// go-webdav hands DELETE's backend no headers: the If-Match
		// precondition travels in the context.
		r = r.WithContext(context.WithValue(r.Context(), ifMatchKey{}, webdav.ConditionalMatch(r.Header.Get("If-Match"))))
	}
	h.cal.ServeHTTP(w, r)
}

// paths of the URL space.

func principalPath(userID int64) string { return Prefix + "/" + itoa(userID) + "/" }

func homePath(userID int64) string { return principalPath(userID) + "calendars/" }

// hashedPrefix names objects whose UID is not a safe URL segment.
const hashedPrefix = "h-"

// objectName is the resource name of a UID: the UID itself when every
// character is safe in a path segment (what clients themselves use), its
// hash otherwise.
func objectName(uid string) string {
	if safeUID(uid) {
		return uid + ".ics"
	}
	return hashedPrefix + uidHash(uid) + ".ics"
}

func safeUID(uid string) bool {
	if uid == "" || len(uid) > 200 || uid == "." || uid == ".." {
		return false
	}
	for i := 0; i < len(uid); i++ {
		c := uid[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("@._~+=-", c) >= 0) {
			return false
		}
	}
	return true
}
