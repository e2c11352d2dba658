package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/aiwfe/aiwfe/app/apperr"
)

// spa serves the embedded SvelteKit build from memory. Unknown paths get
// index.html so deep links (/tasks, /security) load the app, which routes
// on the client.
type spa struct {
	files map[string]*asset
	index *asset
}

type asset struct {
	body        []byte
	contentType string
	etag        string
	immutable   bool
	// revalidate: files that name the current build (the service worker,
	// the version file) must never be served stale, or an update is missed.
	revalidate bool
}

// contentTypes covers what the OS mime table may lack on a minimal system.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".webmanifest": "application/manifest+json",
	".txt":         "text/plain; charset=utf-8",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
}

func newSPA(ui fs.FS) (*spa, error) {
	if ui == nil {
		return nil, errors.New("server: no UI files")
	}
	s := &spa{files: map[string]*asset{}}
	err := fs.WalkDir(ui, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(ui, p)
		if err != nil {
			return err
		}
		ct := contentTypes[path.Ext(p)]
		if ct == "" {
			ct = mime.TypeByExtension(path.Ext(p))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		s.files["/"+p] = &asset{
			body:        body,
			contentType: ct,
			etag:        `"` + hex.EncodeToString(sum[:8]) + `"`,
			immutable:   strings.HasPrefix(p, "_app/immutable/"),
			revalidate:  p == "service-worker.js" || p == "_app/version.json" || p == "manifest.webmanifest",
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.index = s.files["/index.html"]
	if s.index == nil {
		return nil, errors.New("server: the UI build has no index.html")
	}
	return s, nil
}

func (s *spa) handler(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return fiber.ErrMethodNotAllowed
	}
	a, ok := s.files[c.Path()]
	if !ok {
		// A missing build file (a chunk of an older build) is a 404: the app
		// page in its place would fail as a script with a MIME error instead.
		if strings.HasPrefix(c.Path(), "/_app/") {
			return apperr.NotFound("file")
		}
		// Any other path is a page of the app, which shows its own "page
		// not found" for a path it does not know.
		a = s.index
	}
	switch {
	case a.immutable:
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	case a == s.index || a.revalidate:
		c.Set(fiber.HeaderCacheControl, "no-cache")
	default:
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	}
	c.Set(fiber.HeaderETag, a.etag)
	if c.Get(fiber.HeaderIfNoneMatch) == a.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(a.body)
}
