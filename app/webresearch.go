package app

import (
	"context"

	"github.com/aiwfe/aiwfe/app/chat"
	"github.com/aiwfe/aiwfe/app/research"
)

// webResearcher is chat's seam onto the research service: chat knows web
// passages, not the research package.
type webResearcher struct{ r *research.Service }

func (w webResearcher) Available(ctx context.Context, userID int64) error {
	return w.r.Available(ctx, userID)
}

func (w webResearcher) Research(ctx context.Context, userID int64, question string, k int, progress func(chat.ResearchProgress)) ([]chat.WebPassage, error) {
	ps, err := w.r.Research(ctx, userID, question, k, func(p research.Progress) {
		progress(chat.ResearchProgress{Stage: p.Stage, Query: p.Query, Results: p.Results, Pages: p.Pages, Read: p.Read})
	})
	if err != nil {
		return nil, err
	}
	out := make([]chat.WebPassage, len(ps))
	for i, p := range ps {
		out[i] = chat.WebPassage{URL: p.URL, Title: p.Title, Heading: p.Heading, Text: p.Text}
	}
	return out, nil
}

// webSearchAPIKey is the user's own web search key, for the research
// service (the users service is built after it; this is called only when
// a search runs).
func (a *App) webSearchAPIKey(ctx context.Context, userID int64) (string, error) {
	return a.Users.WebSearchAPIKey(ctx, userID)
}
