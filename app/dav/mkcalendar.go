package dav

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/calendar"
	"github.com/aiwfe/aiwfe/store"
)

// MKCALENDAR (RFC 4791 5.3.1) and the extended MKCOL of RFC 5689 make a
// local calendar where the client asks: /dav/{user}/calendars/{name}/.
// go-webdav v0.6.0 knows no MKCALENDAR, and calendars are numbered, so the
// client's name is kept (dav_calendar_names) and the calendar answers at
// it as well as at its id.

// mkProps are the properties a client may set on a new calendar.
type mkProps struct {
	DisplayName  string `xml:"DAV: displayname"`
	Colour       string `xml:"http://apple.com/ns/ical/ calendar-color"`
	Timezone     string `xml:"urn:ietf:params:xml:ns:caldav calendar-timezone"`
	ResourceType struct {
		Calendar *struct{} `xml:"urn:ietf:params:xml:ns:caldav calendar"`
	} `xml:"DAV: resourcetype"`
}

// mkBody is the body of both methods (the root element differs: mkcalendar
// or mkcol; Go's decoder does not look at it).
type mkBody struct {
	Set []struct {
		Prop mkProps `xml:"DAV: prop"`
	} `xml:"DAV: set"`
}

func (h *Handler) mkcalendar(w http.ResponseWriter, r *http.Request, u User) {
	fail := func(code int, msg string) { http.Error(w, msg, code) }
	rest, ok := strings.CutPrefix(cleanPath(r.URL.Path), homePath(u.ID))
	seg := strings.TrimSuffix(rest, "/")
	if !ok || seg == "" || strings.Contains(seg, "/") {
		fail(http.StatusForbidden, "calendars are made in the calendar home, "+homePath(u.ID))
		return
	}
	if numeric(seg) || !safeUID(seg) || strings.HasPrefix(seg, ".") {
		// Numbers are the calendars' ids.
		fail(http.StatusForbidden, "name the new calendar with letters (a UUID, say), not a number or characters unsafe in a URL")
		return
	}
	ctx := r.Context()
	if _, err := store.DAVCalendarByName(ctx, h.b.store.DB, u.ID, seg); err == nil {
		fail(http.StatusMethodNotAllowed, "a calendar already exists here")
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, err)
		return
	}
	var props mkProps
	body, err := io.ReadAll(r.Body)
	if err != nil {
		fail(http.StatusBadRequest, "the body could not be read")
		return
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var mb mkBody
		if err := xml.Unmarshal(body, &mb); err != nil {
			fail(http.StatusBadRequest, "the body is not the XML of "+strings.ToLower(r.Method))
			return
		}
		for _, s := range mb.Set {
			props = mergeProps(props, s.Prop)
		}
	}
	if r.Method == "MKCOL" && props.ResourceType.Calendar == nil {
		fail(http.StatusForbidden, "only calendar collections can be made here (resourcetype calendar)")
		return
	}
	in := calendar.CalendarInput{}
	name := strings.TrimSpace(props.DisplayName)
	if name == "" {
		name = seg
	}
	in.Name = &name
	if c := calendarColour(props.Colour); c != "" {
		in.Colour = &c
	}
	if tz := timezoneOf(props.Timezone); tz != "" {
		in.Timezone = &tz
	}
	c, err := h.b.cal.CreateCalendar(ctx, u.ID, in)
	if err != nil {
		e := apperr.From(err)
		if e.Status >= 500 {
			h.serverError(w, err)
			return
		}
		fail(http.StatusForbidden, e.Message)
		return
	}
	if err := store.InsertDAVCalendarName(ctx, h.b.store.DB, u.ID, c.ID, seg); err != nil {
		// A client racing itself: the first one keeps the name.
		h.b.cal.DeleteCalendar(ctx, u.ID, c.ID)
		if errors.Is(err, store.ErrDuplicate) {
			fail(http.StatusMethodNotAllowed, "a calendar already exists here")
			return
		}
		h.serverError(w, err)
		return
	}
	w.Header().Set("Location", homePath(u.ID)+seg+"/")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
}

func mergeProps(a, b mkProps) mkProps {
	if b.DisplayName != "" {
		a.DisplayName = b.DisplayName
	}
	if b.Colour != "" {
		a.Colour = b.Colour
	}
	if b.Timezone != "" {
		a.Timezone = b.Timezone
	}
	if b.ResourceType.Calendar != nil {
		a.ResourceType.Calendar = b.ResourceType.Calendar
	}
	return a
}

// calendarColour takes Apple's #RRGGBB or #RRGGBBAA; anything else is
// left out (the calendar gets the default colour).
func calendarColour(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 9 {
		s = s[:7]
	}
	if len(s) != 7 || s[0] != '#' {
		return ""
	}
	for i := 1; i < 7; i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return ""
		}
	}
	return s
}

// timezoneOf reads the TZID of a calendar-timezone (a VCALENDAR with one
// VTIMEZONE) when it names a zone the calendar service knows.
func timezoneOf(vtimezone string) string {
	for _, line := range strings.Split(vtimezone, "\n") {
		line = strings.TrimSpace(line)
		if tzid, ok := strings.CutPrefix(line, "TZID:"); ok {
			if _, err := calendar.LoadZone(tzid); err == nil {
				return tzid
			}
			return ""
		}
	}
	return ""
}

func (h *Handler) serverError(w http.ResponseWriter, err error) {
	h.log.Error("caldav request failed", "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
