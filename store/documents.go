package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Document statuses.
const (
	DocQueued     = "queued"
	DocProcessing = "processing"
	DocReady      = "ready"
	DocFailed     = "failed"
	DocNeedsOCR   = "needs_ocr"
)

// Document is one uploaded file of one user.
type Document struct {
	ID          int64      `json:"id"`
	UserID      int64      `json:"-"`
	Collection  string     `json:"collection"`
	Name        string     `json:"name"`
	Title       string     `json:"title"`
	Format      string     `json:"format"`
	ContentType string     `json:"content_type"`
	SHA256      string     `json:"sha256"`
	Status      string     `json:"status"`
	Error       string     `json:"error"`
	Pages       int        `json:"pages"`
	Chunks      int        `json:"chunks"`
	Size        int64      `json:"size"`
	FilePath    string     `json:"-"`
	ReplacesID  int64      `json:"-"`
	VecModelID  int64      `json:"-"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	IndexedAt   *time.Time `json:"indexed_at"`
}

const documentCols = `d.id, d.user_id, d.collection, d.name, d.title, d.format, d.content_type, d.sha256, d.status, d.error,
	d.pages, d.chunks, d.size, d.file_path, COALESCE(d.replaces_id, 0), COALESCE(d.vec_model_id, 0), d.created_at, d.updated_at, d.indexed_at`

func scanDocument(r interface{ Scan(...any) error }) (*Document, error) {
	d := &Document{}
	var created, updated string
	var indexed sql.NullString
	if err := r.Scan(&d.ID, &d.UserID, &d.Collection, &d.Name, &d.Title, &d.Format, &d.ContentType, &d.SHA256, &d.Status, &d.Error,
		&d.Pages, &d.Chunks, &d.Size, &d.FilePath, &d.ReplacesID, &d.VecModelID, &created, &updated, &indexed); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = tsParse(created), tsParse(updated)
	if indexed.Valid {
		t := tsParse(indexed.String)
		d.IndexedAt = &t
	}
	return d, nil
}

// InsertDocument adds d (queued) and fills its id and times. The same
// bytes (sha256) a second time for one user answer ErrDuplicate.
func InsertDocument(ctx context.Context, q Querier, d *Document, now time.Time) error {
	var replaces any
	if d.ReplacesID != 0 {
		replaces = d.ReplacesID
	}
	res, err := q.ExecContext(ctx, `INSERT INTO documents (user_id, collection, name, title, format, content_type, sha256, status,
		size, file_path, replaces_id, created_at, updated_at) VALUES (?, ?, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.UserID, d.Collection, d.Name, d.ContentType, d.SHA256, DocQueued, d.Size, d.FilePath, replaces, tsText(now), tsText(now))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return ErrDuplicate
		}
		return err
	}
	d.ID, _ = res.LastInsertId()
	d.Status, d.CreatedAt, d.UpdatedAt = DocQueued, now.UTC(), now.UTC()
	return nil
}

// DocumentByHash finds the user's document holding these bytes.
func DocumentByHash(ctx context.Context, q Querier, userID int64, sha string) (*Document, error) {
	return scanDocument(q.QueryRowContext(ctx, "SELECT "+documentCols+" FROM documents d WHERE d.user_id = ? AND d.sha256 = ?", userID, sha))
}

// GetDocument reads the user's document.
func GetDocument(ctx context.Context, q Querier, userID, id int64) (*Document, error) {
	return scanDocument(q.QueryRowContext(ctx, "SELECT "+documentCols+" FROM documents d WHERE d.id = ? AND d.user_id = ?", id, userID))
}

// DocumentByID reads a document whoever owns it (the ingestion worker).
func DocumentByID(ctx context.Context, q Querier, id int64) (*Document, error) {
	return scanDocument(q.QueryRowContext(ctx, "SELECT "+documentCols+" FROM documents d WHERE d.id = ?", id))
}

// SameNameDocuments lists the user's other documents with this name in
// this collection (the versions a new upload replaces).
func SameNameDocuments(ctx context.Context, q Querier, userID int64, collection, name string, except int64) ([]int64, error) {
	return int64s(q.QueryContext(ctx, "SELECT id FROM documents WHERE user_id = ? AND collection = ? AND name = ? AND id != ? ORDER BY id",
		userID, collection, name, except))
}

func int64s(rows *sql.Rows, err error) ([]int64, error) { return column[int64](rows, err) }

// DocumentFilter narrows ListDocuments; nil Collection means every one.
type DocumentFilter struct {
	Collection *string
	Status     string
	Limit      int
	Offset     int
}

// ListDocuments lists the user's documents, newest first, with the total
// matching count.
func ListDocuments(ctx context.Context, q Querier, userID int64, f DocumentFilter) ([]*Document, int, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	where, args := "d.user_id = ?", []any{userID}
	if f.Collection != nil {
		where, args = where+" AND d.collection = ?", append(args, *f.Collection)
	}
	if f.Status != "" {
		where, args = where+" AND d.status = ?", append(args, f.Status)
	}
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM documents d WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	out, err := queryDocuments(ctx, q, "SELECT "+documentCols+" FROM documents d WHERE "+where+" ORDER BY d.id DESC LIMIT ? OFFSET ?",
		append(args, f.Limit, f.Offset)...)
	return out, total, err
}

func queryDocuments(ctx context.Context, q Querier, query string, args ...any) ([]*Document, error) {
	return queryAll(ctx, q, scanDocument, query, args...)
}

// UserDocuments lists every document of the user, oldest first.
func UserDocuments(ctx context.Context, q Querier, userID int64) ([]*Document, error) {
	return queryDocuments(ctx, q, "SELECT "+documentCols+" FROM documents d WHERE d.user_id = ? ORDER BY d.id", userID)
}

// DocumentUpdate holds what a user may change; nil leaves a field be.
type DocumentUpdate struct {
	Name       *string
	Collection *string
}

// UpdateDocument renames the user's document or moves it to another
// collection.
func UpdateDocument(ctx context.Context, q Querier, userID, id int64, u DocumentUpdate, now time.Time) error {
	sets, args := []string{"updated_at = ?"}, []any{tsText(now)}
	if u.Name != nil {
		sets, args = append(sets, "name = ?"), append(args, *u.Name)
	}
	if u.Collection != nil {
		sets, args = append(sets, "collection = ?"), append(args, *u.Collection)
	}
	res, err := q.ExecContext(ctx, "UPDATE documents SET "+strings.Join(sets, ", ")+" WHERE id = ? AND user_id = ?", append(args, id, userID)...)
	return exactlyOne(res, err)
}

// SetDocumentStatus records where a document's ingestion is.
func SetDocumentStatus(ctx context.Context, q Querier, id int64, status, errMsg string, now time.Time) error {
	res, err := q.ExecContext(ctx, "UPDATE documents SET status = ?, error = ?, updated_at = ? WHERE id = ?", status, errMsg, tsText(now), id)
	return exactlyOne(res, err)
}

// DeleteDocument removes the user's document; the cascade takes its
// pages, chunks, their index entries and vectors, and its job.
func DeleteDocument(ctx context.Context, q Querier, userID, id int64) error {
	res, err := q.ExecContext(ctx, "DELETE FROM documents WHERE id = ? AND user_id = ?", id, userID)
	return exactlyOne(res, err)
}

// Page is one page's extracted text.
type Page struct {
	Page int
	Text string
}

// Chunk is one passage of a document.
type Chunk struct {
	ID         int64
	DocumentID int64
	Ordinal    int
	Page       int
	Start, End int // code points into the page's text
	Heading    []string
	Text       string
	// Head is "title › heading path", indexed above the text (not stored
	// in document_chunks).
	Head string
}

// DocumentContent is what ingestion writes for one document.
type DocumentContent struct {
	Title   string
	Format  string
	Pages   []Page
	Chunks  []*Chunk
	ModelID int64
	Vectors [][]float32 // one per chunk, for ModelID
}

// ReplaceDocumentContent swaps the document's pages, chunks, index
// entries and vectors for c and marks it ready, in q's transaction:
// search sees the old content or the new, never a mix. It answers
// ErrNotFound when the document was deleted meanwhile.
func ReplaceDocumentContent(ctx context.Context, q Querier, id int64, c *DocumentContent, now time.Time) error {
	var model any
	if c.ModelID != 0 {
		model = c.ModelID
	}
	res, err := q.ExecContext(ctx, `UPDATE documents SET title = ?, format = ?, pages = ?, chunks = ?, status = ?, error = '',
		vec_model_id = ?, updated_at = ?, indexed_at = ? WHERE id = ?`,
		c.Title, c.Format, len(c.Pages), len(c.Chunks), DocReady, model, tsText(now), tsText(now), id)
	if err := exactlyOne(res, err); err != nil {
		return err
	}
	for _, stmt := range []string{"DELETE FROM document_chunks WHERE document_id = ?", "DELETE FROM document_pages WHERE document_id = ?"} {
		if _, err := q.ExecContext(ctx, stmt, id); err != nil {
			return err
		}
	}
	for _, p := range c.Pages {
		if _, err := q.ExecContext(ctx, "INSERT INTO document_pages (document_id, page, text) VALUES (?, ?, ?)", id, p.Page, p.Text); err != nil {
			return err
		}
	}
	for i, ch := range c.Chunks {
		head, _ := json.Marshal(nonNil(ch.Heading))
		res, err := q.ExecContext(ctx, `INSERT INTO document_chunks (document_id, ordinal, page, start_char, end_char, heading, text)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, i, ch.Page, ch.Start, ch.End, string(head), ch.Text)
		if err != nil {
			return err
		}
		ch.ID, _ = res.LastInsertId()
		ch.DocumentID, ch.Ordinal = id, i
		if _, err := q.ExecContext(ctx, "INSERT INTO document_chunks_fts (rowid, head, body) VALUES (?, ?, ?)", ch.ID, ch.Head, ch.Text); err != nil {
			return err
		}
		if c.ModelID != 0 {
			if _, err := q.ExecContext(ctx, "INSERT INTO chunk_vectors (model_id, chunk_id, vec) VALUES (?, ?, ?)", c.ModelID, ch.ID, VectorBlob(c.Vectors[i])); err != nil {
				return err
			}
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DocumentChunks lists a document's chunks in order (Head is left empty).
func DocumentChunks(ctx context.Context, q Querier, documentID int64) ([]*Chunk, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, document_id, ordinal, page, start_char, end_char, heading, text
		FROM document_chunks WHERE document_id = ? ORDER BY ordinal`, documentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Chunk{}
	for rows.Next() {
		c := &Chunk{}
		var head string
		if err := rows.Scan(&c.ID, &c.DocumentID, &c.Ordinal, &c.Page, &c.Start, &c.End, &head, &c.Text); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(head), &c.Heading)
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetDocumentVectors stores the document's vectors for another model and
// makes that model the one its vectors are complete for, in q's
// transaction. ErrNotFound: the document or a chunk went meanwhile.
func SetDocumentVectors(ctx context.Context, q Querier, documentID, modelID int64, chunkIDs []int64, vecs [][]float32, now time.Time) error {
	for i, id := range chunkIDs {
		var ok bool
		if err := q.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM document_chunks WHERE id = ? AND document_id = ?)", id, documentID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		if _, err := q.ExecContext(ctx, "INSERT OR REPLACE INTO chunk_vectors (model_id, chunk_id, vec) VALUES (?, ?, ?)", modelID, id, VectorBlob(vecs[i])); err != nil {
			return err
		}
	}
	res, err := q.ExecContext(ctx, "UPDATE documents SET vec_model_id = ?, updated_at = ? WHERE id = ?", modelID, tsText(now), documentID)
	return exactlyOne(res, err)
}

// DropOtherVectors removes the user's vectors of every model but keep,
// once all their documents have moved to it.
func DropOtherVectors(ctx context.Context, q Querier, userID, keep int64) error {
	_, err := q.ExecContext(ctx, `DELETE FROM chunk_vectors WHERE model_id != ? AND chunk_id IN
		(SELECT c.id FROM document_chunks c JOIN documents d ON d.id = c.document_id WHERE d.user_id = ?)`, keep, userID)
	return err
}

// EmbeddingModelID returns the id of the model name+dim, adding it.
func EmbeddingModelID(ctx context.Context, q Querier, name string, dim int) (int64, error) {
	if _, err := q.ExecContext(ctx, "INSERT OR IGNORE INTO embedding_models (name, dim) VALUES (?, ?)", name, dim); err != nil {
		return 0, err
	}
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM embedding_models WHERE name = ? AND dim = ?", name, dim).Scan(&id)
	return id, err
}

// EmbeddingModel is one row of embedding_models.
type EmbeddingModel struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Dim  int    `json:"dim"`
}

// VectorModels counts the user's documents with content by the model
// their vectors are complete for (0: none).
func VectorModels(ctx context.Context, q Querier, userID int64) (map[int64]int, error) {
	rows, err := q.QueryContext(ctx, `SELECT COALESCE(vec_model_id, 0), COUNT(*) FROM documents
		WHERE user_id = ? AND chunks > 0 GROUP BY 1`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// GetEmbeddingModel reads one embedding model.
func GetEmbeddingModel(ctx context.Context, q Querier, id int64) (*EmbeddingModel, error) {
	m := &EmbeddingModel{}
	err := q.QueryRowContext(ctx, "SELECT id, name, dim FROM embedding_models WHERE id = ?", id).Scan(&m.ID, &m.Name, &m.Dim)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return m, err
}

// ScanUserVectors calls fn with every vector of the user's documents for
// the model (blob is only valid during the call).
func ScanUserVectors(ctx context.Context, q Querier, userID, modelID int64, fn func(chunkID, documentID int64, blob []byte) error) error {
	rows, err := q.QueryContext(ctx, `SELECT v.chunk_id, c.document_id, v.vec FROM chunk_vectors v
		JOIN document_chunks c ON c.id = v.chunk_id JOIN documents d ON d.id = c.document_id
		WHERE d.user_id = ? AND v.model_id = ?`, userID, modelID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var cid, did int64
		var blob sql.RawBytes
		if err := rows.Scan(&cid, &did, &blob); err != nil {
			return err
		}
		if err := fn(cid, did, blob); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DocumentIDsInCollection lists the user's document ids in a collection.
func DocumentIDsInCollection(ctx context.Context, q Querier, userID int64, collection string) ([]int64, error) {
	return int64s(q.QueryContext(ctx, "SELECT id FROM documents WHERE user_id = ? AND collection = ?", userID, collection))
}

// Ranked is one search hit: a chunk and its score (higher is better).
type Ranked struct {
	ChunkID    int64
	DocumentID int64
	Score      float64
}

// KeywordSearch ranks the user's chunks (a document being reindexed
// keeps its old ones until the new are in) for query by bm25 (the
// head column counts twice the body), best first; collection "" means
// every collection. query is what a person typed (see DocFTSQuery).
func KeywordSearch(ctx context.Context, q Querier, userID int64, query, collection string, all bool, limit int) ([]Ranked, error) {
	match, scan, err := pruneCommon(ctx, q, query)
	if err != nil || match == "" {
		return []Ranked{}, err
	}
	where, args := "", []any{match, scan, userID}
	if !all {
		where, args = " AND d.collection = ?", append(args, collection)
	}
	// The index is read first (a subquery with a LIMIT is not flattened,
	// and CROSS JOIN keeps the order): the planner would otherwise walk
	// the user's chunks and probe the index for each.
	rows, err := q.QueryContext(ctx, `SELECT f.rowid, c.document_id, f.s
		FROM (SELECT rowid, bm25(document_chunks_fts, 2.0, 1.0) AS s FROM document_chunks_fts
			WHERE document_chunks_fts MATCH ? LIMIT ?) f
		CROSS JOIN document_chunks c ON c.id = f.rowid CROSS JOIN documents d ON d.id = c.document_id
		WHERE d.user_id = ?`+where+`
		ORDER BY f.s LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Ranked{}
	for rows.Next() {
		var r Ranked
		if err := rows.Scan(&r.ChunkID, &r.DocumentID, &r.Score); err != nil {
			return nil, err
		}
		r.Score = -r.Score // bm25() is lower-is-better
		out = append(out, r)
	}
	return out, rows.Err()
}

// dfCap bounds how many chunks TermDocFreqs counts for one word: past it
// a word is common anyway, and counting a long posting list costs time.
var dfCap = 5_000

// TermDocFreqs counts, for each word, the chunks (of all users) the
// keyword index finds it in (stemmed as the index stems), up to dfCap,
// and returns them with the number of chunks there are: the inverse
// document frequencies that weight a query's words.
func TermDocFreqs(ctx context.Context, q Querier, words []string) (map[string]int, int, error) {
	var n sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(id) FROM document_chunks").Scan(&n); err != nil {
		return nil, 0, err
	}
	out := make(map[string]int, len(words))
	for _, w := range words {
		if _, ok := out[w]; ok {
			continue
		}
		var df int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT rowid FROM document_chunks_fts
			WHERE document_chunks_fts MATCH ? LIMIT ?)`, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`, dfCap).Scan(&df); err != nil {
			return nil, 0, err
		}
		out[w] = df
	}
	return out, int(n.Int64), nil
}

// ChunkHit is a chunk with its document's name, for a search result.
type ChunkHit struct {
	Chunk
	DocumentName string
	Title        string
}

// UserChunks reads the user's chunks by id (missing ones are skipped).
func UserChunks(ctx context.Context, q Querier, userID int64, ids []int64) (map[int64]*ChunkHit, error) {
	out := map[int64]*ChunkHit{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := strings.Repeat("?,", len(ids))
	args := []any{userID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.document_id, c.ordinal, c.page, c.start_char, c.end_char, c.heading, c.text, d.name, d.title
		FROM document_chunks c JOIN documents d ON d.id = c.document_id
		WHERE d.user_id = ? AND c.id IN (`+ph[:len(ph)-1]+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		h := &ChunkHit{}
		var head string
		if err := rows.Scan(&h.ID, &h.DocumentID, &h.Ordinal, &h.Page, &h.Start, &h.End, &head, &h.Text, &h.DocumentName, &h.Title); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(head), &h.Heading)
		out[h.ID] = h
	}
	return out, rows.Err()
}

// DocumentPage reads one page's text of the user's document.
func DocumentPage(ctx context.Context, q Querier, userID, id int64, page int) (string, error) {
	var text string
	err := q.QueryRowContext(ctx, `SELECT p.text FROM document_pages p JOIN documents d ON d.id = p.document_id
		WHERE d.id = ? AND d.user_id = ? AND p.page = ?`, id, userID, page).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return text, err
}

// Job is one entry of the ingestion queue.
type Job struct {
	DocumentID int64
	Kind       string // ingest | embed
	Attempts   int
	RunAfter   time.Time
	LastError  string
}

// EnqueueJob queues work on a document. An ingest replaces whatever was
// queued (it also embeds); an embed never downgrades a queued ingest.
func EnqueueJob(ctx context.Context, q Querier, documentID int64, kind string, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO document_jobs (document_id, kind, attempts, run_after, created_at) VALUES (?, ?, 0, ?, ?)
		ON CONFLICT (document_id) DO UPDATE SET
			kind = CASE WHEN document_jobs.kind = 'ingest' THEN 'ingest' ELSE excluded.kind END,
			attempts = 0, run_after = excluded.run_after, last_error = ''`, documentID, kind, tsText(now), tsText(now))
	return err
}

// NextJob is the job that has been due longest at now (ErrNotFound: none),
// and when the next one falls due otherwise (zero: the queue is empty).
func NextJob(ctx context.Context, q Querier, now time.Time) (*Job, time.Time, error) {
	j := &Job{}
	var after string
	err := q.QueryRowContext(ctx, "SELECT document_id, kind, attempts, run_after, last_error FROM document_jobs ORDER BY run_after, document_id LIMIT 1").
		Scan(&j.DocumentID, &j.Kind, &j.Attempts, &after, &j.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, ErrNotFound
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	j.RunAfter = tsParse(after)
	if j.RunAfter.After(now) {
		return nil, j.RunAfter, ErrNotFound
	}
	return j, j.RunAfter, nil
}

// RetryJob counts a failed attempt and puts the job back until runAfter.
// It is a no-op when the job was replaced meanwhile (its attempts moved).
func RetryJob(ctx context.Context, q Querier, documentID int64, attempts int, runAfter time.Time, reason string) error {
	_, err := q.ExecContext(ctx, "UPDATE document_jobs SET attempts = ?, run_after = ?, last_error = ? WHERE document_id = ? AND attempts = ?",
		attempts+1, tsText(runAfter), reason, documentID, attempts)
	return err
}

// FinishJob removes the job the worker ran, unless it was queued again
// meanwhile (a reindex while it ran: run_after moved).
func FinishJob(ctx context.Context, q Querier, j *Job) error {
	_, err := q.ExecContext(ctx, "DELETE FROM document_jobs WHERE document_id = ? AND run_after = ? AND kind = ?", j.DocumentID, tsText(j.RunAfter), j.Kind)
	return err
}

// PendingJobs counts the user's queued or running jobs.
func PendingJobs(ctx context.Context, q Querier, userID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM document_jobs j JOIN documents d ON d.id = j.document_id WHERE d.user_id = ?`, userID).Scan(&n)
	return n, err
}

// VectorBlob encodes a vector as little-endian float32.
func VectorBlob(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// DecodeVector appends the float32s of blob to dst.
func DecodeVector(dst []float32, blob []byte) []float32 {
	for i := 0; i+4 <= len(blob); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(blob[i:])))
	}
	return dst
}

// maxQueryTerms caps a keyword query: every term costs a posting-list
// read, and a pasted page would otherwise make one search very slow.
const maxQueryTerms = 32

// A word in dfCap chunks or more is "common" and left out of a keyword
// query over a large index (when rarer ones remain): bm25 gives it little
// weight, but ranking by it means scoring a large share of the chunks (at
// 100,000 chunks, a second instead of milliseconds).

// pruneFrom is the index size (chunks) from which common words are left
// out; below it every word is searched for.
var pruneFrom = 10_000

// pruneCommon is DocFTSQuery without the words too common to matter,
// and how many matches may be scored (-1: all). When every word is
// common, the rarest one is searched and only the first dfCap of its
// matches are ranked: such a query says little, and the vectors carry it.
func pruneCommon(ctx context.Context, q Querier, query string) (string, int, error) {
	words := QueryWords(query)
	var size sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(id) FROM document_chunks").Scan(&size); err != nil || size.Int64 < int64(pruneFrom) {
		return DocFTSQuery(query), -1, err
	}
	df, _, err := TermDocFreqs(ctx, q, words)
	if err != nil {
		return "", 0, err
	}
	var kept []string
	for _, w := range words {
		if df[w] < dfCap {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 && len(words) > 0 {
		sort.SliceStable(words, func(i, j int) bool { return df[words[i]] < df[words[j]] })
		return DocFTSQuery(words[0]), dfCap, nil
	}
	return DocFTSQuery(strings.Join(kept, " ")), -1, nil
}

// QueryWords are the distinct words (lower case, no stop words) a keyword
// query searches for.
func QueryWords(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if StopWord(w) || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
		if len(out) == maxQueryTerms {
			break
		}
	}
	return out
}

// DocFTSQuery turns what a person typed into a safe FTS5 query for the
// documents' index: words (letters and digits) quoted so nothing is
// syntax, English stop words dropped, repeated words once, joined with OR
// so bm25 ranks passages by how many of the words they hold. Only stop
// words (or nothing) gives "".
func DocFTSQuery(s string) string {
	terms := QueryWords(s)
	for i, w := range terms {
		terms[i] = `"` + w + `"`
	}
	return strings.Join(terms, " OR ")
}

// StopWord reports whether w (lower case) is an English stop word: too
// common to say anything about a passage.
func StopWord(w string) bool { return stopWords[w] }

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all am an and any are aren't as at be because been before being
		below between both but by can cannot could did do does doing don down during each few for from further had has have having he her
		here hers herself him himself his how i if in into is isn it its itself just me more most my myself no nor not now of off on once
		only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
		these they this those through to too under until up very was we were what when where which while who whom why will with would
		you your yours yourself yourselves s t`) {
		m[w] = true
	}
	return m
}()

// DocumentTables counts one user's rows in the documents tables.
var DocumentTables = map[string]string{
	"documents":       "SELECT COUNT(*) FROM documents WHERE user_id = ?",
	"document_pages":  "SELECT COUNT(*) FROM document_pages WHERE document_id IN (SELECT id FROM documents WHERE user_id = ?)",
	"document_chunks": "SELECT COUNT(*) FROM document_chunks WHERE document_id IN (SELECT id FROM documents WHERE user_id = ?)",
	"chunk_vectors": `SELECT COUNT(*) FROM chunk_vectors WHERE chunk_id IN (SELECT c.id FROM document_chunks c
		JOIN documents d ON d.id = c.document_id WHERE d.user_id = ?)`,
	"document_jobs": "SELECT COUNT(*) FROM document_jobs WHERE document_id IN (SELECT id FROM documents WHERE user_id = ?)",
}
