package app

import (
	"context"

	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/documents"
)

// documentsRetriever is chat's seam onto the documents service: chat
// knows passages, not the documents package.
type documentsRetriever struct{ d *documents.Service }

func (r documentsRetriever) Retrieve(ctx context.Context, userID int64, query string, k int) ([]chat.Passage, int, error) {
	res, err := r.d.Retrieve(ctx, userID, query, k)
	if err != nil {
		return nil, 0, err
	}
	out := make([]chat.Passage, len(res.Passages))
	for i, p := range res.Passages {
		out[i] = chat.Passage{DocumentID: p.DocumentID, DocumentName: p.DocumentName, ChunkID: p.ChunkID,
			Page: p.Page, Heading: p.Heading, Text: p.Text, Start: p.Start, End: p.End}
	}
	return out, res.Indexing, nil
}
