package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/calendar"
)

// WebDAV sync (RFC 6578) on calendars, which go-webdav v0.6.0 lacks: a
// REPORT sync-collection answers what changed and what was deleted since a
// sync token, from the calendar service's change counter (Changes). A
// client syncing every 15 minutes then fetches only what changed instead
// of comparing every ETag. The token is a URI naming the calendar and its
// counter; the calendar's DAV:sync-token and DAV:supported-report-set are
// added to PROPFIND answers (props.go), which is how clients find out.

const syncTokenPrefix = "https://aiwfe.invalid/ns/sync/"

func syncToken(calendarID, seq int64) string {
	return syncTokenPrefix + itoa(calendarID) + "/" + itoa(seq)
}

// parseSyncToken reads a token of this calendar; "" is the initial sync
// (0).
func parseSyncToken(tok string, calendarID, current int64) (int64, bool) {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return 0, true
	}
	rest, ok := strings.CutPrefix(tok, syncTokenPrefix+itoa(calendarID)+"/")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || seq < 0 || seq > current {
		return 0, false
	}
	return seq, true
}

type syncRequest struct {
	XMLName   xml.Name `xml:"DAV: sync-collection"`
	SyncToken string   `xml:"DAV: sync-token"`
	SyncLevel string   `xml:"DAV: sync-level"`
	Prop      *struct {
		Any []struct{ XMLName xml.Name } `xml:",any"`
	} `xml:"DAV: prop"`
}

var (
	nameSyncToken   = xml.Name{Space: nsDAV, Local: "sync-token"}
	nameReportSet   = xml.Name{Space: nsDAV, Local: "supported-report-set"}
	nameGetETag     = xml.Name{Space: nsDAV, Local: "getetag"}
	nameContentType = xml.Name{Space: nsDAV, Local: "getcontenttype"}
	nameCalData     = xml.Name{Space: nsCalDAV, Local: "calendar-data"}
	nsCalDAV        = "urn:ietf:params:xml:ns:caldav"
)

// supportedReports is a calendar's DAV:supported-report-set.
func supportedReports() *node {
	set := el(nsDAV, "supported-report-set")
	for _, r := range []struct{ space, local string }{{nsCalDAV, "calendar-query"}, {nsCalDAV, "calendar-multiget"}, {nsDAV, "sync-collection"}} {
		set.children = append(set.children, el(nsDAV, "supported-report", el(nsDAV, "report", el(r.space, r.local))))
	}
	return set
}

// report serves REPORT: sync-collection here, the rest by go-webdav.
func (h *Handler) report(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "the body could not be read", http.StatusBadRequest)
		return
	}
	var req syncRequest
	if xml.Unmarshal(body, &req) != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.cal.ServeHTTP(w, r)
		return
	}
	h.syncCollection(w, r, &req)
}

func (h *Handler) syncCollection(w http.ResponseWriter, r *http.Request, req *syncRequest) {
	ctx := r.Context()
	ref, err := h.b.splitCalendar(ctx, r.URL.Path)
	if err != nil {
		http.Error(w, "sync-collection is made on one of your calendars", http.StatusNotFound)
		return
	}
	if lvl := strings.TrimSpace(req.SyncLevel); lvl != "" && lvl != "1" {
		// A calendar holds no collections: infinite depth is depth 1,
		// but RFC 6578 wants the refusal spelled out.
		writeDAVError(w, http.StatusForbidden, nsDAV, "supported-sync-level")
		return
	}
	c, err := h.b.cal.Calendar(ctx, ref.u.ID, ref.id)
	if err != nil {
		h.writeServiceError(w, err)
		return
	}
	since, ok := parseSyncToken(req.SyncToken, ref.id, c.Seq)
	if !ok {
		writeDAVError(w, http.StatusForbidden, nsDAV, "valid-sync-token")
		return
	}
	ch, err := h.b.cal.Changes(ctx, ref.u.ID, ref.id, since)
	if errors.Is(err, calendar.ErrSyncTooOld) {
		// The deletions since then were forgotten: RFC 6578 3.2 wants the
		// same precondition as for a token never issued, and the client
		// syncs afresh (a 410 would be taken for a failure).
		writeDAVError(w, http.StatusForbidden, nsDAV, "valid-sync-token")
		return
	}
	if err != nil {
		h.writeServiceError(w, err)
		return
	}
	var objs []calendar.Object
	if len(ch.Changed) > 0 {
		if objs, err = h.b.cal.Objects(ctx, ref.u.ID, ref.id); err != nil {
			h.writeServiceError(w, err)
			return
		}
	}
	changed := map[string]bool{}
	for _, uid := range ch.Changed {
		changed[uid] = true
	}
	var want []xml.Name
	if req.Prop != nil {
		for _, p := range req.Prop.Any {
			want = append(want, p.XMLName)
		}
	}
	ms := el(nsDAV, "multistatus")
	for i := range objs {
		o := &objs[i]
		if !changed[o.UID] {
			continue
		}
		ms.children = append(ms.children, objectResponse(ref.object(o.UID), o, want))
	}
	for _, uid := range ch.Deleted {
		ms.children = append(ms.children, el(nsDAV, "response",
			&node{name: xml.Name{Space: nsDAV, Local: "href"}, text: ref.object(uid)},
			&node{name: xml.Name{Space: nsDAV, Local: "status"}, text: "HTTP/1.1 404 Not Found"}))
	}
	ms.children = append(ms.children, &node{name: nameSyncToken, text: syncToken(ref.id, ch.Seq)})
	writeMultistatus(w, ms)
}

// objectResponse is one object's response: the properties asked for that
// an object has (ETag, content type, data), the others not found.
func objectResponse(href string, o *calendar.Object, want []xml.Name) *node {
	found, missing := el(nsDAV, "prop"), el(nsDAV, "prop")
	for _, name := range want {
		switch name {
		case nameGetETag:
			found.children = append(found.children, &node{name: name, text: `"` + o.ETag + `"`})
		case nameContentType:
			found.children = append(found.children, &node{name: name, text: "text/calendar; charset=utf-8"})
		case nameCalData:
			found.children = append(found.children, &node{name: name, text: string(o.Data)})
		default:
			missing.children = append(missing.children, &node{name: name})
		}
	}
	resp := el(nsDAV, "response", &node{name: xml.Name{Space: nsDAV, Local: "href"}, text: href})
	if len(found.children) > 0 || len(missing.children) == 0 {
		resp.children = append(resp.children, el(nsDAV, "propstat", found, &node{name: xml.Name{Space: nsDAV, Local: "status"}, text: "HTTP/1.1 200 OK"}))
	}
	if len(missing.children) > 0 {
		resp.children = append(resp.children, el(nsDAV, "propstat", missing, &node{name: xml.Name{Space: nsDAV, Local: "status"}, text: "HTTP/1.1 404 Not Found"}))
	}
	return resp
}

func writeMultistatus(w http.ResponseWriter, ms *node) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	if err := ms.encode(enc); err != nil || enc.Flush() != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.WriteHeader(http.StatusMultiStatus)
	w.Write(b.Bytes())
}

// writeDAVError answers a failed precondition (RFC 4918 16) as its
// DAV:error body.
func writeDAVError(w http.ResponseWriter, code int, space, local string) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	el(nsDAV, "error", el(space, local)).encode(enc)
	enc.Flush()
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// writeServiceError answers a calendar service error; an internal one is
// logged, never sent.
func (h *Handler) writeServiceError(w http.ResponseWriter, err error) {
	e := apperr.From(err)
	if e.Status >= 500 {
		h.serverError(w, err)
		return
	}
	http.Error(w, e.Message, e.Status)
}
