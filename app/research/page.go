package research

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/documents"
	"github.com/aiwfe/aiwfe/app/documents/extract"
	"github.com/aiwfe/aiwfe/app/netguard"
	"github.com/aiwfe/aiwfe/app/textutil"
	"github.com/aiwfe/aiwfe/store"
)

// Page is a web page read: its main text as Markdown, without the menus,
// sidebars and footers around it.
type Page struct {
	URL      string `json:"url"` // after redirects
	Title    string `json:"title"`
	SiteName string `json:"site_name,omitempty"`
	Markdown string `json:"markdown"`
}

// maxPageBytes caps a page read (HTML pages are rarely over a few MiB;
// the guard's own cap is the admin's [outbound] max_mb).
const maxPageBytes = 8 << 20

// MaxURL bounds an address, in bytes.
const MaxURL = 2048

// ErrNotHTML: the address answers with something that is not a web page.
var ErrNotHTML = apperr.New(http.StatusUnprocessableEntity, "not_a_page",
	"That address does not answer with a web page (HTML or plain text).")

// ErrNoText: the page has no readable text.
var ErrNoText = apperr.New(http.StatusUnprocessableEntity, "no_text", "That page has no readable text.")

// checkURL validates an address a person typed.
func checkURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, apperr.Invalid("url", "url must not be empty")
	}
	if len(raw) > MaxURL {
		return nil, apperr.Invalid("url", "url must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, apperr.Invalid("url", "url must be an absolute http:// or https:// address")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, apperr.Invalid("url", "only http:// and https:// addresses can be read")
	}
	u.Fragment = ""
	return u, nil
}

// Fetch reads a page through the SSRF guard, or from the cache when it
// was read within the page TTL.
func (s *Service) Fetch(ctx context.Context, raw string) (*Page, error) {
	u, err := checkURL(raw)
	if err != nil {
		return nil, err
	}
	key := u.String()
	if p, ok := s.pages.Get(key); ok {
		return p, nil
	}
	p, err := s.fetch(ctx, u)
	if err != nil {
		return nil, err
	}
	if s.pages.SetWithTTL(key, p, int64(len(p.Markdown)+len(p.Title)+len(p.URL)+len(key)+64), s.d.PageTTL) {
		s.pages.Wait() // visible to the next reply at once
	}
	return p, nil
}

func (s *Service) fetch(ctx context.Context, u *url.URL) (*Page, error) {
	hdr := http.Header{"Accept": {"text/html,application/xhtml+xml,text/plain;q=0.8"}}
	resp, err := s.d.Outbound.Get(ctx, u.String(), hdr, netguard.WithMaxBytes(maxPageBytes))
	if err != nil {
		return nil, fetchError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apperr.New(http.StatusBadGateway, "fetch_failed",
			fmt.Sprintf("The page answered HTTP %d.", resp.StatusCode))
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fetchError(err)
	}
	final := resp.Request.URL
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case ct == "text/plain":
		text := strings.TrimSpace(string(bytes.ToValidUTF8(body, nil)))
		if text == "" {
			return nil, ErrNoText
		}
		return &Page{URL: final.String(), Title: final.Host + final.Path, Markdown: text}, nil
	case ct == "text/html" || ct == "application/xhtml+xml" || ct == "":
	default:
		return nil, ErrNotHTML
	}
	return Readable(body, final)
}

// Readable extracts a page's main text (Readability.js's rules: the
// menus, navigation, sidebars and footers go) and converts it to
// Markdown, headings, lists and tables kept.
func Readable(body []byte, pageURL *url.URL) (*Page, error) {
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, ErrNotHTML
	}
	art, err := readability.FromDocument(doc, pageURL)
	if err != nil || art.Node == nil {
		return nil, ErrNoText
	}
	md, err := extract.HTMLToMarkdown(art.Node, pageURL.Scheme+"://"+pageURL.Host)
	if err != nil {
		return nil, ErrNoText
	}
	text := strings.TrimSpace(md)
	if text == "" {
		return nil, ErrNoText
	}
	title := strings.Join(strings.Fields(art.Title()), " ")
	if strings.Count(title, "(") != strings.Count(title, ")") {
		// Readability cuts a title at its last colon (to drop a site's
		// name), which halves "The Basics (libffi: the ... library)".
		title = strings.Join(strings.Fields(docTitle(doc)), " ")
	}
	if title == "" {
		title = pageURL.Host + pageURL.Path
	}
	return &Page{URL: pageURL.String(), Title: textutil.Ellipsize(title, 300), SiteName: art.SiteName(), Markdown: text}, nil
}

// fetchError says why a page could not be read, for the person who asked.
func fetchError(err error) error {
	switch {
	case errors.Is(err, netguard.ErrBlocked):
		return &apperr.Error{Status: http.StatusUnprocessableEntity, Code: "address_blocked", Err: err,
			Message: "That address is on this machine or a private network, which aiwfe does not fetch: " + err.Error()}
	case errors.Is(err, netguard.ErrScheme):
		return apperr.Invalid("url", "only http:// and https:// addresses can be read")
	case errors.Is(err, netguard.ErrTooLarge):
		return &apperr.Error{Status: http.StatusRequestEntityTooLarge, Code: "page_too_large", Err: err,
			Message: "That page is larger than aiwfe reads (8 MiB)."}
	case errors.Is(err, context.DeadlineExceeded):
		return &apperr.Error{Status: http.StatusGatewayTimeout, Code: "fetch_timeout", Err: err, Message: "The page did not answer in time."}
	}
	return &apperr.Error{Status: http.StatusBadGateway, Code: "fetch_failed", Err: err, Message: "The page could not be read: " + err.Error()}
}

// ImportURL reads a page and stores its main text as a Markdown document
// of the user's (the documents service indexes it like an upload).
func (s *Service) ImportURL(ctx context.Context, userID int64, raw, collection string) (*store.Document, error) {
	p, err := s.Fetch(ctx, raw)
	if err != nil {
		return nil, err
	}
	md := "# " + p.Title + "\n\nSource: <" + p.URL + ">\n\n" + p.Markdown + "\n"
	up, err := s.d.Documents.Spool(docName(p), "text/markdown", strings.NewReader(md))
	if err != nil {
		return nil, err
	}
	docs, err := s.d.Documents.Add(ctx, userID, collection, []*documents.Upload{up})
	if err != nil {
		return nil, err
	}
	return docs[0], nil
}

// docName is the imported page's file name: its title, made a file name.
func docName(p *Page) string {
	name := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return ' '
		}
		return r
	}, p.Title)
	name = strings.Join(strings.Fields(name), " ")
	return textutil.Truncate(name, 120) + ".md"
}

// docTitle is the text of the page's <title>.
func docTitle(n *html.Node) string {
	if n.Type == html.ElementNode && n.DataAtom == atom.Title {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
		return b.String()
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if t := docTitle(c); t != "" {
			return t
		}
	}
	return ""
}
