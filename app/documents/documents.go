// Package documents is the documents service: uploads stored on disk,
// a persistent ingestion queue that extracts, chunks and embeds them,
// and hybrid search (FTS5 keyword + exact vector similarity, fused by
// reciprocal rank) over a user's passages. It takes plain Go values and
// knows nothing of HTTP.
package documents

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/app/memtrim"
	"github.com/aiwfe/aiwfe/store"
)

// Dir is where the stored files live below the data directory:
// documents/<user id>/<sha256 of the bytes>.
const Dir = "documents"

// Limits of what a person names things.
const (
	MaxNameChars       = 255
	MaxCollectionChars = 100
)

// Deps are what the service needs.
type Deps struct {
	Store *store.Store
	// LLM makes embeddings when the user names an embedding model; nil or
	// the demo model means the built-in embedder.
	LLM llm.Provider
	Hub *hub.Hub
	Log *slog.Logger
	Now func() time.Time
	// DataDir is the data directory; files go under DataDir/documents.
	DataDir string
	// MaxFileBytes bounds one uploaded file (server.upload_limit_mb).
	MaxFileBytes int64
	// User reads a user's row (for the embedding_model assignment).
	User func(ctx context.Context, id int64) (*store.User, error)
	// NewEmbedder makes the embedder of a model name; the default is the
	// built-in one for BuiltinModel and the model server otherwise.
	NewEmbedder func(name string) Embedder
	// RetryBase is the first retry's delay (doubling each time, capped at
	// an hour); MaxAttempts is how many runs a job gets before its
	// document is failed.
	RetryBase   time.Duration
	MaxAttempts int
	// VectorIdle is how long a user's vectors stay in memory after their
	// last search.
	VectorIdle time.Duration
	// NoWorker leaves the queue alone (the CLI opens the app without
	// serving); Start runs it.
	NoWorker bool
	// Ready, when set, is told of each document whose ingestion finished
	// (opportunities read the collections a user enabled). It runs on the
	// worker: it must hand long work off, not do it.
	Ready func(ctx context.Context, userID, documentID int64, collection string)
}

// Service is the documents service. Close stops its worker.
type Service struct {
	d       Deps
	store   *store.Store
	log     *slog.Logger
	now     func() time.Time
	wake    chan struct{}
	vectors *vectorCache
	// mem gives the memory of an ingestion burst back once the queue
	// has been quiet for a moment.
	mem memtrim.Burst

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started sync.Once
}

// New builds the service and starts the ingestion worker (unless
// NoWorker), which resumes whatever the queue holds.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.RetryBase <= 0 {
		d.RetryBase = 10 * time.Second
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 5
	}
	if d.VectorIdle <= 0 {
		d.VectorIdle = 5 * time.Minute
	}
	if d.MaxFileBytes <= 0 {
		d.MaxFileBytes = 50 << 20
	}
	if d.User == nil {
		d.User = func(ctx context.Context, id int64) (*store.User, error) { return store.UserByID(ctx, d.Store.DB, id) }
	}
	s := &Service{d: d, store: d.Store, log: d.Log, now: d.Now, wake: make(chan struct{}, 1)}
	s.mem.After = 2 * time.Second
	s.mem.Release = func() {
		s.store.ReleaseIdle()
		runtime.GC()
		debug.FreeOSMemory()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.vectors = newVectorCache(d.VectorIdle)
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.vectors.janitor(s.ctx) }()
	if !d.NoWorker {
		s.Start()
	}
	return s
}

// Start runs the ingestion worker (once).
func (s *Service) Start() {
	s.started.Do(func() {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.work(s.ctx) }()
	})
}

// Close stops the worker and waits for it; a job it was running stays
// queued and resumes at the next start.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Upload is a file spooled to disk, not yet a document.
type Upload struct {
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	path        string
}

// ErrFileTooLarge: an uploaded file passes the upload limit.
var ErrFileTooLarge = apperr.New(http.StatusRequestEntityTooLarge, "file_too_large", "a file is larger than the upload limit")

// Spool copies one uploaded file to a temporary file under the
// documents directory, hashing it on the way and stopping at the limit.
// Give every Upload to Add or Discard.
func (s *Service) Spool(name, contentType string, r io.Reader) (*Upload, error) {
	tmp := filepath.Join(s.d.DataDir, Dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	u := &Upload{Name: cleanName(name), ContentType: contentType, path: filepath.Join(tmp, hex.EncodeToString(rnd[:]))}
	f, err := os.OpenFile(u.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, s.d.MaxFileBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
	case n > s.d.MaxFileBytes:
		err = ErrFileTooLarge
	case n == 0:
		err = apperr.Invalid("file", fmt.Sprintf("%q is empty", u.Name))
	}
	if err != nil {
		os.Remove(u.path)
		return nil, err
	}
	u.Size, u.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return u, nil
}

// Discard removes spooled files that will not become documents.
func (s *Service) Discard(ups []*Upload) {
	for _, u := range ups {
		if u != nil && u.path != "" {
			os.Remove(u.path)
		}
	}
}

// Add turns spooled files into the user's documents, queued for
// ingestion, all or none. Bytes the user already has give the existing
// document. A file named like one already in the collection becomes a
// new document that replaces the old one when its own chunks are in.
// The uploads are consumed either way.
func (s *Service) Add(ctx context.Context, userID int64, collection string, ups []*Upload) ([]*store.Document, error) {
	defer s.Discard(ups)
	collection, err := cleanCollection(collection)
	if err != nil {
		return nil, err
	}
	if len(ups) == 0 {
		return nil, apperr.Invalid("file", "send at least one file")
	}
	now := s.now()
	var out []*store.Document
	var placed []string
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		out, placed = out[:0], placed[:0]
		for _, u := range ups {
			if d, err := store.DocumentByHash(ctx, tx, userID, u.SHA256); err == nil {
				out = append(out, d)
				continue
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			rel := filepath.Join(Dir, strconv.FormatInt(userID, 10), u.SHA256)
			d := &store.Document{UserID: userID, Collection: collection, Name: u.Name, ContentType: u.ContentType,
				SHA256: u.SHA256, Size: u.Size, FilePath: rel}
			if err := store.InsertDocument(ctx, tx, d, now); err != nil {
				return err
			}
			if err := store.EnqueueJob(ctx, tx, d.ID, "ingest", now); err != nil {
				return err
			}
			abs := filepath.Join(s.d.DataDir, rel)
			if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
				return err
			}
			if err := os.Rename(u.path, abs); err != nil {
				return err
			}
			placed = append(placed, abs)
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		for _, p := range placed {
			os.Remove(p)
		}
		return nil, err
	}
	for _, d := range out {
		if d.Status == store.DocQueued {
			s.publish(userID, Progress{DocumentID: d.ID, Name: d.Name, Status: d.Status, Stage: StageQueued})
		}
	}
	s.poke()
	return out, nil
}

// cleanName keeps the last element of a path a browser may send, without
// control characters, bounded.
func cleanName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, "")))
	if name == "" || name == "." || name == ".." {
		name = "upload"
	}
	if utf8.RuneCountInString(name) > MaxNameChars {
		name = string([]rune(name)[:MaxNameChars])
	}
	return name
}

func cleanCollection(c string) (string, error) {
	c = strings.TrimSpace(c)
	if utf8.RuneCountInString(c) > MaxCollectionChars || strings.ContainsFunc(c, unicode.IsControl) || !utf8.ValidString(c) {
		return "", apperr.Invalid("collection", fmt.Sprintf("a collection name is at most %d characters, without control characters", MaxCollectionChars))
	}
	return c, nil
}

// ListRequest filters List.
type ListRequest struct {
	Collection *string
	Status     string
	Page       int
	PerPage    int
}

// Statuses a document can have.
var Statuses = []string{store.DocQueued, store.DocProcessing, store.DocReady, store.DocFailed, store.DocNeedsOCR}

// List lists the user's documents, newest first, with the total.
func (s *Service) List(ctx context.Context, userID int64, r ListRequest) ([]*store.Document, int, error) {
	if r.Status != "" && !contains(Statuses, r.Status) {
		return nil, 0, apperr.Invalid("status", "status is one of "+strings.Join(Statuses, ", "))
	}
	if r.Page < 1 {
		r.Page = 1
	}
	if r.PerPage < 1 || r.PerPage > 100 {
		r.PerPage = 20
	}
	return store.ListDocuments(ctx, s.store.DB, userID, store.DocumentFilter{Collection: r.Collection, Status: r.Status,
		Limit: r.PerPage, Offset: (r.Page - 1) * r.PerPage})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Get reads the user's document.
func (s *Service) Get(ctx context.Context, userID, id int64) (*store.Document, error) {
	d, err := store.GetDocument(ctx, s.store.DB, userID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("document")
	}
	return d, err
}

// Update renames the user's document or moves it to another collection.
func (s *Service) Update(ctx context.Context, userID, id int64, name, collection *string) (*store.Document, error) {
	if name != nil {
		n := strings.TrimSpace(*name)
		if n == "" || utf8.RuneCountInString(n) > MaxNameChars || strings.ContainsFunc(n, unicode.IsControl) || strings.ContainsAny(n, `/\`) {
			return nil, apperr.Invalid("name", fmt.Sprintf("a name is 1–%d characters, without slashes or control characters", MaxNameChars))
		}
		name = &n
	}
	if collection != nil {
		c, err := cleanCollection(*collection)
		if err != nil {
			return nil, err
		}
		collection = &c
	}
	err := store.UpdateDocument(ctx, s.store.DB, userID, id, store.DocumentUpdate{Name: name, Collection: collection}, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("document")
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, userID, id)
}

// Delete removes the user's document: its rows (chunks, index entries,
// vectors, job) and then its stored file.
func (s *Service) Delete(ctx context.Context, userID, id int64) error {
	var path string
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		d, err := store.GetDocument(ctx, tx, userID, id)
		if err != nil {
			return err
		}
		path = d.FilePath
		return store.DeleteDocument(ctx, tx, userID, id)
	})
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("document")
	}
	if err != nil {
		return err
	}
	s.vectors.drop(userID)
	s.removeFile(path)
	return nil
}

func (s *Service) removeFile(rel string) {
	if rel == "" {
		return
	}
	if err := os.Remove(filepath.Join(s.d.DataDir, rel)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("documents: removing a stored file", "err", err)
	}
}

// PageContent is one page's extracted text (for the citation viewer).
type PageContent struct {
	DocumentID int64  `json:"document_id"`
	Page       int    `json:"page"`
	Pages      int    `json:"pages"`
	Text       string `json:"text"`
}

// Content reads the extracted text of one page of the user's document.
func (s *Service) Content(ctx context.Context, userID, id int64, page int) (*PageContent, error) {
	d, err := s.Get(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if d.Pages == 0 {
		return nil, apperr.New(http.StatusConflict, "not_indexed", "the document has no extracted text yet (status "+d.Status+")")
	}
	if page < 1 || page > d.Pages {
		return nil, apperr.Invalid("page", fmt.Sprintf("page is 1–%d", d.Pages))
	}
	text, err := store.DocumentPage(ctx, s.store.DB, userID, id, page)
	if errors.Is(err, store.ErrNotFound) {
		text, err = "", nil
	}
	if err != nil {
		return nil, err
	}
	return &PageContent{DocumentID: id, Page: page, Pages: d.Pages, Text: text}, nil
}

// File opens the user's stored original; close it.
func (s *Service) File(ctx context.Context, userID, id int64) (*store.Document, *os.File, error) {
	d, err := s.Get(ctx, userID, id)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(filepath.Join(s.d.DataDir, d.FilePath))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, apperr.NotFound("document file")
	}
	return d, f, err
}

// Reindex queues the user's document to be extracted, chunked and
// embedded again; its current chunks stay searchable until the new ones
// replace them.
func (s *Service) Reindex(ctx context.Context, userID, id int64) (*store.Document, error) {
	err := s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := store.GetDocument(ctx, tx, userID, id); err != nil {
			return err
		}
		if err := store.SetDocumentStatus(ctx, tx, id, store.DocQueued, "", s.now()); err != nil {
			return err
		}
		return store.EnqueueJob(ctx, tx, id, "ingest", s.now())
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.NotFound("document")
	}
	if err != nil {
		return nil, err
	}
	s.poke()
	return s.Get(ctx, userID, id)
}

// ReindexAll queues every document of the user: the ones whose vectors
// are of another model than the user's embedding model get new vectors
// (search keeps the old ones until every document has the new), the
// others are ingested again. It returns how many were queued.
func (s *Service) ReindexAll(ctx context.Context, userID int64) (int, error) {
	model, err := s.modelFor(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		n = 0
		docs, err := store.UserDocuments(ctx, tx, userID)
		if err != nil {
			return err
		}
		for _, d := range docs {
			kind := "ingest"
			if d.Chunks > 0 && d.Status == store.DocReady {
				cur, err := store.GetEmbeddingModel(ctx, tx, d.VecModelID)
				if err == nil && cur.Name == model {
					continue
				}
				kind = "embed"
			} else if err := store.SetDocumentStatus(ctx, tx, d.ID, store.DocQueued, "", s.now()); err != nil {
				return err
			}
			if err := store.EnqueueJob(ctx, tx, d.ID, kind, s.now()); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	s.poke()
	return n, err
}

// modelFor is the embedding model the user's documents should have: their
// embedding_model assignment when a model server makes embeddings, else
// the built-in embedder.
func (s *Service) modelFor(ctx context.Context, userID int64) (string, error) {
	if s.d.LLM == nil || s.d.LLM.Name() == "demo" {
		if s.d.NewEmbedder == nil {
			return BuiltinModel, nil
		}
	}
	u, err := s.d.User(ctx, userID)
	if err != nil {
		return "", err
	}
	if m := strings.TrimSpace(u.Models["embedding_model"]); m != "" {
		return m, nil
	}
	return BuiltinModel, nil
}

func (s *Service) embedder(name string) Embedder {
	if s.d.NewEmbedder != nil {
		if e := s.d.NewEmbedder(name); e != nil {
			return e
		}
	}
	if name == BuiltinModel || s.d.LLM == nil || s.d.LLM.Name() == "demo" {
		return Builtin{}
	}
	return Remote{LLM: s.d.LLM, Model: name}
}

// Embed makes vectors of texts with the embedder the user's documents
// use, and names it (opportunities compare task titles with it; the
// semantic tools' similarity compares two texts).
func (s *Service) Embed(ctx context.Context, userID int64, texts []string) (string, [][]float32, error) {
	model, err := s.modelFor(ctx, userID)
	if err != nil {
		return "", nil, err
	}
	vecs, err := s.embedder(model).Embed(ctx, texts)
	return model, vecs, err
}

// EmbedderName is the embedding model the user's new documents get (the
// UI says which embedder is in use).
func (s *Service) EmbedderName(ctx context.Context, userID int64) (string, error) {
	return s.modelFor(ctx, userID)
}
