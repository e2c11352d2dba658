package opportunities

import (
	"context"
	"database/sql"
	"strings"
	"unicode"

	"github.com/aiwfe/aiwfe/app/textutil"
	"github.com/aiwfe/aiwfe/store"
)

// nearDuplicate is the cosine above which two titles are one task. With
// the built-in hashing embedder, rewordings that share their words ("Call
// the plumber" / "call plumber about leak") score above it and different
// errands ("Call the plumber" / "Call the bank") below.
const nearDuplicate = 0.8

// filler words say how a task was put, not what it is.
var filler = map[string]bool{"please": true, "todo": true, "need": true, "needs": true, "remember": true,
	"must": true, "should": true, "gotta": true, "don't": true, "forget": true, "make": true, "sure": true}

// titleKey is a title normalised for comparison: lower case, words only,
// no stop or filler words, in order.
func titleKey(title string) string {
	words := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
	out := words[:0]
	for _, w := range words {
		w = strings.Trim(w, "'")
		if w == "" || filler[w] || store.StopWord(w) {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot // both L2-normalised
}

// keep saves the proposals that are not the same as an open task or any
// earlier proposal (open, accepted or dismissed — a dismissal is
// remembered), at most limit, and fills res.Items.
func (s *Service) keep(ctx context.Context, userID int64, src source, props []proposal, res *Proposed, limit int) (*Proposed, error) {
	res.Items = []*Opportunity{}
	if len(props) == 0 {
		if res.Reason == "" {
			res.Reason = "nothing to do was found"
		}
		return res, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	earlier, err := store.UserOpportunities(ctx, s.store.DB, userID)
	if err != nil {
		return nil, err
	}
	var open []string
	if s.d.Tasks != nil {
		if open, err = s.d.Tasks.OpenTitles(ctx, userID, openTitlesForDup); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, o := range earlier {
		seen[o.TitleKey] = true
	}
	for _, t := range open {
		seen[titleKey(t)] = true
	}
	// Vectors: the candidates', the open tasks', and the earlier
	// proposals' made by the same embedder.
	var model string
	var known [][]float32
	candVecs := make([][]float32, len(props))
	if s.d.Embed != nil {
		texts := make([]string, 0, len(props)+len(open))
		for _, p := range props {
			texts = append(texts, p.Title)
		}
		texts = append(texts, open...)
		m, vecs, err := s.d.Embed(ctx, userID, texts)
		if err != nil {
			// Titles still catch the plain duplicates.
			s.log.Warn("opportunities: embedding titles for duplicates", "err", err)
		} else if len(vecs) == len(texts) {
			model = m
			copy(candVecs, vecs[:len(props)])
			known = append(known, vecs[len(props):]...)
			for _, o := range earlier {
				if o.VecModel == model && len(o.Vec) > 0 {
					known = append(known, o.Vec)
				}
			}
		}
	}
	var rows []*store.Opportunity
	for i, p := range props {
		if len(rows) >= limit {
			break
		}
		key := titleKey(p.Title)
		dup := key == "" || seen[key]
		if !dup && candVecs[i] != nil {
			for _, v := range known {
				if cosine(candVecs[i], v) >= nearDuplicate {
					dup = true
					break
				}
			}
		}
		if dup {
			res.Duplicates++
			continue
		}
		seen[key] = true
		if candVecs[i] != nil {
			known = append(known, candVecs[i])
		}
		rows = append(rows, s.row(userID, src, p, key, candVecs[i], model, res))
	}
	err = s.store.WithTx(ctx, func(tx *sql.Tx) error {
		for _, o := range rows {
			if err := store.InsertOpportunity(ctx, tx, o, s.now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, o := range rows {
		res.Items = append(res.Items, view(o))
	}
	if len(rows) == 0 && res.Reason == "" {
		res.Reason = "everything found is already a task or was proposed before"
	}
	return res, nil
}

func (s *Service) row(userID int64, src source, p proposal, key string, vec []float32, vecModel string, res *Proposed) *store.Opportunity {
	o := &store.Opportunity{UserID: userID, Title: p.Title, TitleKey: key, Notes: p.Notes, Due: p.Due,
		Priority: p.Priority, Category: p.Category, SourceKind: src.kind, SourceTitle: src.title,
		Evidence: textutil.Ellipsize(p.Evidence, MaxEvidenceChars-1), ProposedBy: res.ProposedBy, Status: store.OpportunityOpen,
		Vec: vec, VecModel: vecModel}
	if o.Priority == "" {
		o.Priority = "none"
	}
	if res.ProposedBy == "model" {
		o.Model = res.Model
	}
	switch src.kind {
	case "conversation":
		o.ConversationID = &src.conversationID
		if p.MessageID != 0 {
			id := p.MessageID
			o.MessageID = &id
		}
	case "document":
		o.DocumentID = &src.documentID
		if p.Page > 0 {
			page := p.Page
			o.Page = &page
		}
	case "event":
		o.EventID = &src.eventID
	}
	return o
}
