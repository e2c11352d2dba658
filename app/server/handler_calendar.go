package server

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/calendar"
)

// importLimit bounds an ICS import (the file and the multipart around it).
const importLimit = 10<<20 + 64<<10

// calendarsGET lists the caller's calendars.
func (s *Server) calendarsGET(c *fiber.Ctx) error {
	cals, err := s.app.Calendar.Calendars(c.UserContext(), currentUser(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": cals})
}

// calendarsPOST adds a calendar: a local one, or with feed_url a
// read-only subscription to an ICS feed.
func (s *Server) calendarsPOST(c *fiber.Ctx) error {
	var in calendar.CalendarInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cal, err := s.app.Calendar.CreateCalendar(c.UserContext(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cal)
}

// calendarGET shows one calendar (a feed's state included).
func (s *Server) calendarGET(c *fiber.Ctx) error {
	id, err := pathID(c, "calendar")
	if err != nil {
		return err
	}
	cal, err := s.app.Calendar.Calendar(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(cal)
}

// calendarPATCH renames, recolours or rezones a calendar, or changes a
// feed's URL.
func (s *Server) calendarPATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "calendar")
	if err != nil {
		return err
	}
	var in calendar.CalendarInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cal, err := s.app.Calendar.UpdateCalendar(c.UserContext(), currentUser(c).UserID, id, in)
	if err != nil {
		return err
	}
	return c.JSON(cal)
}

// calendarDELETE deletes a calendar and its events.
func (s *Server) calendarDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "calendar")
	if err != nil {
		return err
	}
	if err := s.app.Calendar.DeleteCalendar(c.UserContext(), currentUser(c).UserID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// calendarRefreshPOST fetches a feed calendar now.
func (s *Server) calendarRefreshPOST(c *fiber.Ctx) error {
	id, err := pathID(c, "calendar")
	if err != nil {
		return err
	}
	res, err := s.app.Calendar.RefreshFeed(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// calendarExportGET downloads a calendar as ICS; from and to limit it to
// the events with an instance in that range.
func (s *Server) calendarExportGET(c *fiber.Ctx) error {
	id, err := pathID(c, "calendar")
	if err != nil {
		return err
	}
	var from, to *time.Time
	if c.Query("from") != "" || c.Query("to") != "" {
		f, t, err := queryRange(c)
		if err != nil {
			return err
		}
		from, to = &f, &t
	}
	data, cal, err := s.app.Calendar.Export(c.UserContext(), currentUser(c).UserID, id, from, to)
	if err != nil {
		return err
	}
	return sendICS(c, data, cal.Name)
}

func sendICS(c *fiber.Ctx, data []byte, name string) error {
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+icsFileName(name)+`"; filename*=UTF-8''`+url.PathEscape(name)+".ics")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(data)
}

// icsFileName is name as a plain ASCII file name.
func icsFileName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (r == '-' || r == '_' || r == ' ' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	if strings.TrimSpace(b.String()) == "" {
		return "calendar.ics"
	}
	return b.String() + ".ics"
}

// privateFeedPOST makes (or replaces) a calendar's private feed URL. The
// token is in the answer once; only its hash is kept.
func (s *Server) privateFeedPOST(c *fiber.Ctx) error {
	id, err := pathID(c, "calendar")
	if err != nil {
		return err
	}
	pf, err := s.app.Calendar.CreatePrivateFeed(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(s.app.Config.Server.PublicURL, "/")
	if base == "" {
		base = c.BaseURL()
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"token": pf.Token, "url": base + "/api/v1/calendar/feed/" + pf.Token + ".ics"})
}

// privateFeedDELETE revokes a calendar's private feed URL at once.
func (s *Server) privateFeedDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "calendar")
	if err != nil {
		return err
	}
	if err := s.app.Calendar.RevokePrivateFeed(c.UserContext(), currentUser(c).UserID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// privateFeedGET is the public, token-authenticated ICS feed of one
// calendar, for Thunderbird, Apple Calendar or Google to subscribe to.
func (s *Server) privateFeedGET(c *fiber.Ctx) error {
	token := strings.TrimSuffix(c.Params("token"), ".ics")
	data, cal, err := s.app.Calendar.PrivateFeedICS(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Set("X-Robots-Tag", "noindex")
	return sendICS(c, data, cal.Name)
}

// queryRange reads from and to: RFC 3339 instants or dates (UTC midnight).
func queryRange(c *fiber.Ctx) (from, to time.Time, err error) {
	parse := func(name string) (time.Time, error) {
		v := c.Query(name)
		if v == "" {
			return time.Time{}, apperr.Invalid(name, name+" is required (RFC 3339, or a date YYYY-MM-DD)")
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		if t, err := time.Parse("2006-01-02", v); err == nil {
			return t, nil
		}
		return time.Time{}, apperr.Invalid(name, name+" must be RFC 3339 (2026-03-01T00:00:00+01:00) or a date (2026-03-01)")
	}
	if from, err = parse("from"); err != nil {
		return
	}
	to, err = parse("to")
	return
}

// eventsGET expands the caller's events in [from, to): calendar (one id
// or a comma-separated list) limits it.
func (s *Server) eventsGET(c *fiber.Ctx) error {
	from, to, err := queryRange(c)
	if err != nil {
		return err
	}
	req := calendar.InstancesRequest{From: from, To: to}
	if v := c.Query("calendar"); v != "" {
		for _, p := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil || id <= 0 {
				return apperr.Invalid("calendar", "calendar must be a calendar id or a comma-separated list of them")
			}
			req.CalendarIDs = append(req.CalendarIDs, id)
		}
	}
	items, err := s.app.Calendar.Instances(c.UserContext(), currentUser(c).UserID, req)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

// eventsPOST adds an event (a series with rrule or rdates).
func (s *Server) eventsPOST(c *fiber.Ctx) error {
	var in calendar.EventInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ev, err := s.app.Calendar.CreateEvent(c.UserContext(), currentUser(c).UserID, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ev)
}

// eventGET shows an event: a series with its overrides, or one override.
func (s *Server) eventGET(c *fiber.Ctx) error {
	id, err := pathID(c, "event")
	if err != nil {
		return err
	}
	ev, err := s.app.Calendar.Event(c.UserContext(), currentUser(c).UserID, id)
	if err != nil {
		return err
	}
	return c.JSON(ev)
}

// eventPATCH changes an event; for a series, scope ("all", "this",
// "following") and recurrence_id say which instances.
func (s *Server) eventPATCH(c *fiber.Ctx) error {
	id, err := pathID(c, "event")
	if err != nil {
		return err
	}
	var req struct {
		calendar.EventInput
		Scope        string `json:"scope"`
		RecurrenceID string `json:"recurrence_id"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ev, err := s.app.Calendar.UpdateEvent(c.UserContext(), currentUser(c).UserID, id,
		calendar.Change{Scope: req.Scope, RecurrenceID: req.RecurrenceID}, req.EventInput)
	if err != nil {
		return err
	}
	return c.JSON(ev)
}

// eventDELETE deletes an event; for a series, ?scope= and
// ?recurrence_id= say which instances.
func (s *Server) eventDELETE(c *fiber.Ctx) error {
	id, err := pathID(c, "event")
	if err != nil {
		return err
	}
	ch := calendar.Change{Scope: c.Query("scope"), RecurrenceID: c.Query("recurrence_id")}
	if err := s.app.Calendar.DeleteEvent(c.UserContext(), currentUser(c).UserID, id, ch); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

var errImportMedia = apperr.New(fiber.StatusUnsupportedMediaType, "unsupported_media_type",
	`send multipart/form-data with a "file" and a "calendar_id", or a text/calendar body with ?calendar_id=`)

// calendarImportPOST imports an ICS file into a local calendar, by UID:
// multipart ("file", "calendar_id") or a text/calendar body
// (?calendar_id=). The answer counts what was created, updated and
// skipped, with the events that could not be read.
func (s *Server) calendarImportPOST(c *fiber.Ctx) error {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil {
		return errImportMedia
	}
	var data []byte
	calID := c.Query("calendar_id")
	switch {
	case mt == "text/calendar":
		if data, err = io.ReadAll(bodyStream(c)); err != nil {
			return multipartError(err)
		}
	case mt == "multipart/form-data" && params["boundary"] != "":
		mr := multipart.NewReader(bodyStream(c), params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return multipartError(err)
			}
			switch part.FormName() {
			case "file":
				if data != nil {
					return apperr.Invalid("file", "send one file")
				}
				if data, err = io.ReadAll(part); err != nil {
					return multipartError(err)
				}
			case "calendar_id":
				b, err := io.ReadAll(io.LimitReader(part, 64))
				if err != nil {
					return multipartError(err)
				}
				calID = string(b)
			default:
				return apperr.Invalid(part.FormName(), `unknown field: send "file" and "calendar_id" only`)
			}
		}
	default:
		return errImportMedia
	}
	id, err := strconv.ParseInt(strings.TrimSpace(calID), 10, 64)
	if err != nil || id <= 0 {
		return apperr.Invalid("calendar_id", "say which calendar to import into (calendar_id)")
	}
	if len(data) == 0 {
		return apperr.Invalid("file", "the file is empty")
	}
	res, err := s.app.Calendar.Import(c.UserContext(), currentUser(c).UserID, id, data)
	if err != nil {
		return err
	}
	return c.JSON(res)
}
