package documents

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aiwfe/aiwfe/app/documents/extract"
	"github.com/aiwfe/aiwfe/app/hub"
	"github.com/aiwfe/aiwfe/app/llm"
	"github.com/aiwfe/aiwfe/store"
)

// Stages of a document's ingestion, as progress events say them.
const (
	StageQueued     = "queued"
	StageExtracting = "extracting"
	StageEmbedding  = "embedding"
	StageIndexing   = "indexing"
	StageReady      = "ready"
	StageRetrying   = "retrying"
	StageFailed     = "failed"
)

// Progress is the event published on the hub's progress channel for a
// document (docs/websocket.md).
type Progress struct {
	Type        string `json:"type"` // "document"
	DocumentID  int64  `json:"document_id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Stage       string `json:"stage"`
	Pages       int    `json:"pages"`
	ChunksDone  int    `json:"chunks_done"`
	ChunksTotal int    `json:"chunks_total"`
	Error       string `json:"error,omitempty"`
}

func (s *Service) publish(userID int64, p Progress) {
	if s.d.Hub == nil {
		return
	}
	p.Type = "document"
	s.d.Hub.Publish(userID, hub.Progress, p)
}

// extractTimeout bounds one file's extraction (a hostile PDF can be
// slow).
const extractTimeout = 2 * time.Minute

// maxRetryDelay caps the backoff between a job's attempts.
const maxRetryDelay = time.Hour

// work runs the queue: the job due longest first, one at a time (the
// appliance has few cores, and the model server serialises embeddings
// anyway). A failing job waits its backoff while the others run.
func (s *Service) work(ctx context.Context) {
	for {
		j, due, err := store.NextJob(ctx, s.store.DB, s.now())
		if err == nil {
			s.mem.Start()
			s.run(ctx, j)
			s.mem.Done()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration // 0: until woken
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("documents: reading the queue", "err", err)
			wait = s.d.RetryBase
		} else if !due.IsZero() {
			// Capped: a run_after far ahead would overflow the timer.
			wait = min(max(due.Sub(s.now()), time.Millisecond), maxRetryDelay)
		}
		var timer *time.Timer
		var fire <-chan time.Time
		if wait > 0 {
			timer = time.NewTimer(wait)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// permanent is an error that another attempt cannot cure.
type permanent struct {
	status string
	msg    string
}

func (p *permanent) Error() string { return p.msg }

// extractError says what a failed extraction means for the person.
func extractError(err error) error {
	switch {
	case errors.Is(err, extract.ErrNeedsOCR):
		return &permanent{store.DocNeedsOCR, "The file's text cannot be read (is it a scan?). It needs OCR, which aiwfe does not do: upload a version with a text layer."}
	case errors.Is(err, extract.ErrUnsupported):
		return &permanent{store.DocFailed, "This type of file is not supported: upload PDF, DOCX, HTML, Markdown, plain text, CSV, JSON or source code."}
	case errors.Is(err, extract.ErrEmpty):
		return &permanent{store.DocFailed, "The file has no text."}
	case errors.Is(err, extract.ErrEncrypted):
		return &permanent{store.DocFailed, "The file is password-protected: remove the password and upload it again."}
	case errors.Is(err, extract.ErrCorrupt):
		return &permanent{store.DocFailed, "The file is damaged, truncated or over a safety limit, and cannot be read."}
	case errors.Is(err, context.DeadlineExceeded):
		return &permanent{store.DocFailed, "Reading the file took too long."}
	}
	return err
}

// run runs one job to its end: done, queued again with a backoff, or the
// document failed with the reason.
func (s *Service) run(ctx context.Context, j *store.Job) {
	d, err := store.DocumentByID(ctx, s.store.DB, j.DocumentID)
	if errors.Is(err, store.ErrNotFound) {
		store.FinishJob(ctx, s.store.DB, j) // the cascade took it already
		return
	}
	if err == nil {
		err = s.runJob(ctx, j, d)
	}
	if err == nil || ctx.Err() != nil {
		return // done, or shutting down: the job stays queued and resumes
	}
	var p *permanent
	if !errors.As(err, &p) && j.Attempts+1 >= s.d.MaxAttempts {
		p = &permanent{store.DocFailed, "Indexing failed " + fmt.Sprint(s.d.MaxAttempts) + " times: " + userError(err)}
	}
	if p == nil {
		delay := min(s.d.RetryBase<<j.Attempts, maxRetryDelay)
		s.log.Warn("documents: ingestion failed; retrying", "document", d.ID, "attempt", j.Attempts+1, "in", delay, "err", err)
		if err := store.RetryJob(ctx, s.store.DB, j.DocumentID, j.Attempts, s.now().Add(delay), userError(err)); err != nil {
			s.log.Error("documents: queueing a retry", "err", err)
		}
		s.publish(d.UserID, Progress{DocumentID: d.ID, Name: d.Name, Status: d.Status, Stage: StageRetrying, Error: userError(err)})
		return
	}
	s.log.Info("documents: ingestion failed", "document", d.ID, "status", p.status, "reason", p.msg)
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		if err := store.SetDocumentStatus(ctx, tx, d.ID, p.status, p.msg, s.now()); err != nil {
			return err
		}
		return store.FinishJob(ctx, tx, j)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("documents: recording a failure", "err", err)
	}
	s.publish(d.UserID, Progress{DocumentID: d.ID, Name: d.Name, Status: p.status, Stage: StageFailed, Error: p.msg})
}

// userError is what a person is told of a passing failure: the model
// server's answer when it gave one, never a chain of Go errors.
func userError(err error) string {
	var api *llm.APIError
	switch {
	case errors.Is(err, llm.ErrModelNotFound):
		return "the embedding model is not installed on the model server (pull it, or clear the embedding model in your profile)"
	case errors.As(err, &api):
		return "the model server answered: " + api.Message
	case errors.Is(err, llm.ErrUnavailable):
		return "the model server is not answering"
	}
	return "an internal error (the server log has the cause)"
}

func (s *Service) runJob(ctx context.Context, j *store.Job, d *store.Document) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("documents: ingestion panicked", "document", d.ID, "panic", r)
			err = &permanent{store.DocFailed, "The file could not be read (an internal error; the server log has the cause)."}
		}
	}()
	if j.Kind == "embed" {
		return s.reembed(ctx, j, d)
	}
	return s.ingest(ctx, j, d)
}

func (s *Service) ingest(ctx context.Context, j *store.Job, d *store.Document) error {
	if err := store.SetDocumentStatus(ctx, s.store.DB, d.ID, store.DocProcessing, "", s.now()); err != nil {
		return err
	}
	prog := Progress{DocumentID: d.ID, Name: d.Name, Status: store.DocProcessing, Stage: StageExtracting}
	s.publish(d.UserID, prog)
	f, err := os.Open(filepath.Join(s.d.DataDir, d.FilePath))
	if err != nil {
		return &permanent{store.DocFailed, "The stored file is missing; upload it again."}
	}
	defer f.Close()
	ectx, cancel := context.WithTimeout(ctx, extractTimeout)
	doc, err := extract.Extract(ectx, extract.Source{R: f, Size: d.Size, Name: d.Name, ContentType: d.ContentType})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return extractError(err)
	}
	title := doc.Title
	if title == "" {
		title = strings.TrimSuffix(d.Name, filepath.Ext(d.Name))
	}
	pages, chunks := layout(title, doc.Blocks)
	if len(chunks) == 0 {
		return &permanent{store.DocFailed, "The file has no text."}
	}
	prog.Stage, prog.Pages, prog.ChunksTotal = StageEmbedding, doc.Pages, len(chunks)
	s.publish(d.UserID, prog)
	model, err := s.modelFor(ctx, d.UserID)
	if err != nil {
		return err
	}
	vecs, err := s.embedChunks(ctx, s.embedder(model), chunks, func(done int) {
		prog.ChunksDone = done
		s.publish(d.UserID, prog)
	})
	if err != nil {
		return err
	}
	prog.Stage = StageIndexing
	s.publish(d.UserID, prog)
	for len(pages) < doc.Pages {
		pages = append(pages, store.Page{Page: len(pages) + 1})
	}
	var replaced []string
	collection := d.Collection
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		replaced = replaced[:0]
		modelID, err := store.EmbeddingModelID(ctx, tx, model, len(vecs[0]))
		if err != nil {
			return err
		}
		if err := store.ReplaceDocumentContent(ctx, tx, d.ID, &store.DocumentContent{Title: title, Format: doc.Format,
			Pages: pages, Chunks: chunks, ModelID: modelID, Vectors: vecs}, s.now()); err != nil {
			return err
		}
		// A new version of a same-named file: the old one goes in the
		// transaction that brings the new one's chunks in. The name is
		// read now, so a rename since the upload counts.
		cur, err := store.DocumentByID(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		collection = cur.Collection
		olds, err := store.SameNameDocuments(ctx, tx, d.UserID, cur.Collection, cur.Name, d.ID)
		if err != nil {
			return err
		}
		for _, old := range olds {
			if old > d.ID {
				continue // a newer version replaces this one
			}
			od, err := store.GetDocument(ctx, tx, d.UserID, old)
			if err != nil {
				return err
			}
			if err := store.DeleteDocument(ctx, tx, d.UserID, old); err != nil {
				return err
			}
			replaced = append(replaced, od.FilePath)
		}
		return store.FinishJob(ctx, tx, j)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted while it was being read
	}
	if err != nil {
		return err
	}
	for _, p := range replaced {
		s.removeFile(p)
	}
	s.vectors.drop(d.UserID)
	prog.Status, prog.Stage = store.DocReady, StageReady
	s.publish(d.UserID, prog)
	if s.d.Ready != nil {
		s.d.Ready(ctx, d.UserID, d.ID, collection)
	}
	return nil
}

// embedText is what is embedded for a chunk: "title › heading path",
// then the text.
func embedText(c *store.Chunk) string {
	if c.Head == "" {
		return c.Text
	}
	return c.Head + "\n\n" + c.Text
}

// embedChunks embeds in batches, reporting the chunks done after each.
func (s *Service) embedChunks(ctx context.Context, e Embedder, chunks []*store.Chunk, done func(int)) ([][]float32, error) {
	out := make([][]float32, 0, len(chunks))
	for i := 0; i < len(chunks); i += embedBatch {
		batch := chunks[i:min(i+embedBatch, len(chunks))]
		texts := make([]string, len(batch))
		for k, c := range batch {
			texts[k] = embedText(c)
		}
		vs, err := e.Embed(ctx, texts)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if len(v) == 0 || len(v) != len(vs[0]) || (len(out) > 0 && len(v) != len(out[0])) {
				return nil, fmt.Errorf("documents: embedding model %s gave vectors of differing sizes", e.Name())
			}
		}
		out = append(out, vs...)
		done(len(out))
	}
	return out, nil
}

// reembed gives a ready document's chunks vectors of the user's current
// embedding model. Once every document of the user has them, the old
// model's vectors go.
func (s *Service) reembed(ctx context.Context, j *store.Job, d *store.Document) error {
	model, err := s.modelFor(ctx, d.UserID)
	if err != nil {
		return err
	}
	chunks, err := store.DocumentChunks(ctx, s.store.DB, d.ID)
	if err != nil {
		return err
	}
	if len(chunks) == 0 {
		return store.FinishJob(ctx, s.store.DB, j)
	}
	title := d.Title
	if title == "" {
		title = strings.TrimSuffix(d.Name, filepath.Ext(d.Name))
	}
	ids := make([]int64, len(chunks))
	for i, c := range chunks {
		c.Head, ids[i] = head(title, c.Heading), c.ID
	}
	prog := Progress{DocumentID: d.ID, Name: d.Name, Status: d.Status, Stage: StageEmbedding, Pages: d.Pages, ChunksTotal: len(chunks)}
	s.publish(d.UserID, prog)
	vecs, err := s.embedChunks(ctx, s.embedder(model), chunks, func(done int) {
		prog.ChunksDone = done
		s.publish(d.UserID, prog)
	})
	if err != nil {
		return err
	}
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		modelID, err := store.EmbeddingModelID(ctx, tx, model, len(vecs[0]))
		if err != nil {
			return err
		}
		if err := store.SetDocumentVectors(ctx, tx, d.ID, modelID, ids, vecs, s.now()); err != nil {
			return err
		}
		counts, err := store.VectorModels(ctx, tx, d.UserID)
		if err != nil {
			return err
		}
		if len(counts) == 1 && counts[modelID] > 0 {
			if err := store.DropOtherVectors(ctx, tx, d.UserID, modelID); err != nil {
				return err
			}
		}
		return store.FinishJob(ctx, tx, j)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted or reindexed meanwhile: that job takes over
	}
	if err != nil {
		return err
	}
	s.vectors.drop(d.UserID)
	prog.Stage = StageReady
	s.publish(d.UserID, prog)
	return nil
}
