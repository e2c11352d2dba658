package chat

import (
	"context"
	"strings"

	"github.com/aiwfe/aiwfe/app/apperr"
	"github.com/aiwfe/aiwfe/store"
)

// Research replies: in the Research mode, when the user can search the
// web, the question is searched, the top pages read, and their most
// relevant passages given to the model as numbered sources, like the
// Documents mode's (and after them, with use_documents, the user's own
// passages come first). The web search service is adapted by app.Open
// (app/research.go): chat does not import it.

// WebPassage is a passage of a web page found for a question.
type WebPassage struct {
	URL     string
	Title   string
	Heading string
	Text    string
}

// ResearchProgress is a research reply's stage, relayed to the person
// while the pages are read (docs/websocket.md, "Research replies").
type ResearchProgress struct {
	// Stage is searching | reading | retrieving, or unavailable (web
	// search is off for the user: Message says why, and the reply is
	// made without the web).
	Stage   string `json:"stage"`
	Query   string `json:"query,omitempty"`
	Results int    `json:"results,omitempty"`
	Pages   int    `json:"pages,omitempty"`
	Read    int    `json:"read,omitempty"`
	Message string `json:"message,omitempty"`
}

// Researcher searches the web for a user.
type Researcher interface {
	// Available is nil when the user can search the web now, else the
	// error a search would answer (search off, no provider).
	Available(ctx context.Context, userID int64) error
	// Research finds at most k passages of web pages for a question,
	// calling progress at each stage.
	Research(ctx context.Context, userID int64, question string, k int, progress func(ResearchProgress)) ([]WebPassage, error)
}

// ResearchMode is the mode whose replies search the web.
const ResearchMode = "research"

// research gives a Research-mode reply its web sources, after the
// documents' ones when there are any. It answers an error that ends the
// reply (the search failed, or the caller stopped); web search being off
// for the user is told as progress, and the reply made without the web.
func (s *Service) research(ctx context.Context, ex *exchange, st Stream) error {
	if ex.mode.Key != ResearchMode || s.researcher == nil {
		return nil
	}
	progress := func(p ResearchProgress) {
		if st.OnProgress != nil {
			st.OnProgress(p)
		}
	}
	if err := s.researcher.Available(ctx, ex.user.ID); err != nil {
		progress(ResearchProgress{Stage: "unavailable", Message: apperr.From(err).Message})
		return nil
	}
	ps, err := s.researcher.Research(ctx, ex.user.ID, researchQuestion(ex), SourcesK, progress)
	if err != nil {
		return err
	}
	if ex.docs == nil {
		ex.docs = &retrieval{sources: []Source{}}
	}
	ex.docs.web = true
	for _, p := range ps {
		ex.docs.sources = append(ex.docs.sources, Source{N: len(ex.docs.sources) + 1, URL: p.URL, Title: p.Title,
			Heading: p.Heading, Text: p.Text})
	}
	return nil
}

// researchQuestion is what the web is searched for: the question, and for
// a short follow-up the user's previous turn too (as for documents).
func researchQuestion(ex *exchange) string {
	var turns []*store.Message
	for _, m := range ex.history {
		if m.Role == "user" {
			turns = append(turns, &store.Message{Role: "user", Content: m.Content})
		}
	}
	if n := len(turns); n > 0 && strings.TrimSpace(turns[n-1].Content) == strings.TrimSpace(ex.prompt) {
		turns = turns[:n-1]
	}
	return retrievalQuery(ex.prompt, turns)
}

// noWebReply is the whole reply when neither the web nor the documents
// gave a passage: the model is not asked, so it cannot invent sources.
const noWebReply = "No web results: the search found nothing to read for this question, so there is no answer with sources. Try other words."
