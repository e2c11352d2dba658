package documents

import (
	"context"

	"github.com/aiwfe/aiwfe/store"
)

// Retrieval is what chat in documents mode gets for a question.
type Retrieval struct {
	// Passages are the best k, hybrid-ranked.
	Passages []Result
	// Indexing counts the user's documents still queued or being
	// processed: when it is not 0, say so instead of answering as if the
	// documents held nothing.
	Indexing int
}

// Retrieve is the seam for chat: the k best passages of the user's
// documents for query (hybrid search), and whether documents are still
// being indexed. A query with only stop words finds by vectors alone.
func (s *Service) Retrieve(ctx context.Context, userID int64, query string, k int) (*Retrieval, error) {
	if k <= 0 || k > MaxLimit {
		k = DefaultLimit
	}
	res, err := s.Search(ctx, userID, SearchRequest{Query: query, Limit: k, Mode: ModeHybrid})
	if err != nil {
		return nil, err
	}
	n, err := store.PendingJobs(ctx, s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	return &Retrieval{Passages: res, Indexing: n}, nil
}
