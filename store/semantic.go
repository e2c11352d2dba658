package store

// Document frequencies for the semantic tools' keyword fallback (TF-IDF):
// counted over one user's passages only, through the keyword index, so a
// word is weighed by the user's own documents and never reveals another
// user's. (An fts5vocab table would count every user's passages.)

import (
	"context"
	"strings"
)

// UserChunkCount is how many indexed passages the user's documents have.
func UserChunkCount(ctx context.Context, q Querier, userID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM document_chunks c JOIN documents d ON d.id = c.document_id
		WHERE d.user_id = ?`, userID).Scan(&n)
	return n, err
}

// UserTermFrequency is in how many of the user's passages a word occurs.
// The word goes through the index's own tokenizer (stemming, diacritics),
// quoted, so it is never FTS5 syntax.
func UserTermFrequency(ctx context.Context, q Querier, userID int64, word string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM document_chunks_fts f
		JOIN document_chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id
		WHERE document_chunks_fts MATCH ? AND d.user_id = ?`,
		`"`+strings.ReplaceAll(word, `"`, `""`)+`"`, userID).Scan(&n)
	return n, err
}
