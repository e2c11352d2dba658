package dav

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// go-webdav v0.6.0 answers a fixed set of a calendar's properties and
// cannot be given more. Those clients rely on are added to its PROPFIND
// answers here:
//
//   - DAV:current-user-privilege-set (RFC 3744): read only for feed
//     calendars, so DAVx5, iOS and Thunderbird show them read-only instead
//     of offering edits the server refuses;
//   - CS:getctag (CalendarServer): the calendar's change counter, so a
//     client skips listing a calendar that has not changed;
//   - ICAL:calendar-color (Apple): the calendar's colour;
//   - DAV:sync-token and DAV:supported-report-set: WebDAV sync (sync.go).
//
// When a PROPFIND asks for one of them, go-webdav's multistatus is read
// back, and for each calendar in it the property moves from the 404
// propstat (not found) to the 200 one, with its value.

var (
	nsDAV    = "DAV:"
	nsCS     = "http://calendarserver.org/ns/"
	nsICAL   = "http://apple.com/ns/ical/"
	namePriv = xml.Name{Space: nsDAV, Local: "current-user-privilege-set"}
	nameCTag = xml.Name{Space: nsCS, Local: "getctag"}
	nameCol  = xml.Name{Space: nsICAL, Local: "calendar-color"}
)

var extraProps = []xml.Name{namePriv, nameCTag, nameCol, nameSyncToken, nameReportSet}

// node is an XML element read back, enough to edit a multistatus.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	text     string
	children []*node
}

func parseXML(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return root, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name}
			for _, a := range t.Attr {
				if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
					n.attrs = append(n.attrs, a)
				}
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
}

func (n *node) encode(e *xml.Encoder) error {
	start := xml.StartElement{Name: n.name, Attr: n.attrs}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if len(n.children) == 0 && strings.TrimSpace(n.text) != "" {
		if err := e.EncodeToken(xml.CharData(n.text)); err != nil {
			return err
		}
	}
	for _, c := range n.children {
		if err := c.encode(e); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func (n *node) child(name xml.Name) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func el(space, local string, children ...*node) *node {
	return &node{name: xml.Name{Space: space, Local: local}, children: children}
}

// requestedExtras lists which of extraProps a PROPFIND body asks for.
func requestedExtras(body []byte) []xml.Name {
	var pf struct {
		Prop *struct {
			Any []struct{ XMLName xml.Name } `xml:",any"`
		} `xml:"DAV: prop"`
	}
	if xml.Unmarshal(body, &pf) != nil || pf.Prop == nil {
		return nil
	}
	var out []xml.Name
	for _, p := range pf.Prop.Any {
		for _, x := range extraProps {
			if p.XMLName == x {
				out = append(out, x)
			}
		}
	}
	return out
}

// calendarInfo is what the extra properties say of one calendar.
type calendarInfo struct {
	id       int64
	readOnly bool
	seq      int64
	colour   string
}

// privileges is a calendar's DAV:current-user-privilege-set: reading, and
// for a local calendar adding, changing and removing events. Renaming
// (write-properties) is the web app's.
func privileges(readOnly bool) *node {
	set := el(nsDAV, "current-user-privilege-set", el(nsDAV, "privilege", el(nsDAV, "read")))
	if !readOnly {
		for _, p := range []string{"write-content", "bind", "unbind"} {
			set.children = append(set.children, el(nsDAV, "privilege", el(nsDAV, p)))
		}
	}
	return set
}

func (ci calendarInfo) value(name xml.Name) *node {
	switch name {
	case namePriv:
		return privileges(ci.readOnly)
	case nameCTag:
		return &node{name: name, text: strconv.FormatInt(ci.seq, 10)}
	case nameCol:
		if ci.colour == "" {
			return nil
		}
		return &node{name: name, text: ci.colour}
	case nameSyncToken:
		return &node{name: name, text: syncToken(ci.id, ci.seq)}
	case nameReportSet:
		return supportedReports()
	}
	return nil
}

// addExtras edits a multistatus: every response whose href is a calendar
// (info answers for it) gets the wanted properties it lacked.
func addExtras(ms *node, want []xml.Name, info func(href string) (calendarInfo, bool)) {
	for _, resp := range ms.children {
		if resp.name.Local != "response" {
			continue
		}
		href := resp.child(xml.Name{Space: nsDAV, Local: "href"})
		if href == nil {
			continue
		}
		ci, ok := info(strings.TrimSpace(href.text))
		if !ok {
			continue
		}
		var found *node
		for _, ps := range resp.children {
			if ps.name.Local != "propstat" {
				continue
			}
			st := ps.child(xml.Name{Space: nsDAV, Local: "status"})
			prop := ps.child(xml.Name{Space: nsDAV, Local: "prop"})
			if st == nil || prop == nil {
				continue
			}
			if strings.Contains(st.text, " 200 ") {
				found = prop
			}
		}
		if found == nil {
			found = el(nsDAV, "prop")
			resp.children = append(resp.children, el(nsDAV, "propstat", found, &node{name: xml.Name{Space: nsDAV, Local: "status"}, text: "HTTP/1.1 200 OK"}))
		}
		for _, name := range want {
			v := ci.value(name)
			if v == nil {
				continue
			}
			removeProp(resp, name)
			found.children = append(found.children, v)
		}
		// A 404 propstat left with no property goes.
		kept := resp.children[:0]
		for _, ps := range resp.children {
			if ps.name.Local == "propstat" {
				if prop := ps.child(xml.Name{Space: nsDAV, Local: "prop"}); prop != nil && len(prop.children) == 0 {
					continue
				}
			}
			kept = append(kept, ps)
		}
		resp.children = kept
	}
}

// removeProp drops name from the response's propstats that did not find
// it.
func removeProp(resp *node, name xml.Name) {
	for _, ps := range resp.children {
		if ps.name.Local != "propstat" {
			continue
		}
		st := ps.child(xml.Name{Space: nsDAV, Local: "status"})
		prop := ps.child(xml.Name{Space: nsDAV, Local: "prop"})
		if st == nil || prop == nil || strings.Contains(st.text, " 200 ") {
			continue
		}
		kept := prop.children[:0]
		for _, c := range prop.children {
			if c.name != name {
				kept = append(kept, c)
			}
		}
		prop.children = kept
	}
}

// recorder keeps go-webdav's answer to edit it.
type recorder struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(p []byte) (int, error) { return r.buf.Write(p) }

// propfind serves a PROPFIND, adding the extra properties it asks for.
func (h *Handler) propfind(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "the body could not be read", http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	want := requestedExtras(body)
	if len(want) == 0 {
		h.cal.ServeHTTP(w, r)
		return
	}
	rec := &recorder{h: http.Header{}, code: http.StatusOK}
	h.cal.ServeHTTP(rec, r)
	out := rec.buf.Bytes()
	if rec.code == http.StatusMultiStatus {
		if ms, err := parseXML(out); err == nil && ms != nil {
			addExtras(ms, want, func(href string) (calendarInfo, bool) { return h.calendarInfo(r, href) })
			var b bytes.Buffer
			b.WriteString(xml.Header)
			enc := xml.NewEncoder(&b)
			if ms.encode(enc) == nil && enc.Flush() == nil {
				out = b.Bytes()
			}
		}
	}
	for k, v := range rec.h {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.code)
	w.Write(out)
}

// calendarInfo reads what the extra properties say of the calendar at
// href, if it is one of the caller's.
func (h *Handler) calendarInfo(r *http.Request, href string) (calendarInfo, bool) {
	ref, name, err := h.b.split(r.Context(), href)
	if err != nil || name != "" {
		return calendarInfo{}, false
	}
	c, err := h.b.cal.Calendar(r.Context(), ref.u.ID, ref.id)
	if err != nil {
		return calendarInfo{}, false
	}
	return calendarInfo{id: c.ID, readOnly: c.ReadOnly, seq: c.Seq, colour: strings.ToUpper(c.Colour)}, true
}
