package semantic

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Entity is a named thing in a text, with where it occurs: Start and End
// are code-point offsets of its first occurrence ([Start, End)).
type Entity struct {
	Text  string `json:"text"`
	Type  string `json:"type"` // person | organisation | place | date | other
	Start int    `json:"start"`
	End   int    `json:"end"`
	// Count is how many times it occurs.
	Count int `json:"count"`
}

// Entities is a text's named entities, in the order they first occur.
type Entities struct {
	Entities []Entity `json:"entities"`
	Method
}

// EntityTypes are the types an entity may have.
var EntityTypes = []string{"person", "organisation", "place", "date", "other"}

var entitiesSchema = json.RawMessage(`{"type":"object","properties":{"entities":{"type":"array","items":{"type":"object","properties":{"text":{"type":"string","minLength":1},"type":{"type":"string","enum":["person","organisation","place","date","other"]}},"required":["text","type"],"additionalProperties":false}}},"required":["entities"],"additionalProperties":false}`)

// Entities finds the people, organisations, places, dates and other named
// things of a text. The model names them; their spans are found in the
// text here (an entity the model names that the text does not contain is
// dropped: it was invented).
func (s *Service) Entities(ctx context.Context, userID int64, in Input) (*Entities, error) {
	text, model, err := s.begin(ctx, userID, in, "semantic_model")
	if err != nil {
		return nil, err
	}
	part, cutShort := head(text)
	var v struct {
		Entities []struct{ Text, Type string } `json:"entities"`
	}
	askErr := s.ask(ctx, model, 800, "You find the named entities of a text: people, organisations, places, dates and other named things (products, events, works). "+
		"Copy each exactly as it is written in the text, once. Reply with JSON: {\"entities\": [{\"text\": \"...\", \"type\": \"person|organisation|place|date|other\"}]}.",
		part, entitiesSchema, &v)
	if askErr == nil {
		var found []Entity
		for _, e := range v.Entities {
			found = append(found, Entity{Text: strings.TrimSpace(e.Text), Type: e.Type})
		}
		out := &Entities{Entities: locate(text, found), Method: Method{Method: "model", Model: model}}
		if cutShort {
			out.Note = cutNote
		}
		return out, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	m := s.fallback("entities", askErr)
	m.Note += " (rule-based: dates, and runs of capitalised words; a person, organisation or place only where a title, suffix or preposition says so, else other)"
	return &Entities{Entities: locate(text, ruleEntities(text)), Method: m}, nil
}

// locate sets each entity's span (its first occurrence) and count,
// drops those not in the text and duplicates, and orders them by where
// they occur.
func locate(text string, es []Entity) []Entity {
	out := []Entity{}
	seen := map[string]bool{}
	for _, e := range es {
		if e.Text == "" || seen[strings.ToLower(e.Text)] {
			continue
		}
		i := strings.Index(text, e.Text)
		if i < 0 {
			continue
		}
		seen[strings.ToLower(e.Text)] = true
		e.Start = utf8.RuneCountInString(text[:i])
		e.End = e.Start + utf8.RuneCountInString(e.Text)
		e.Count = strings.Count(text, e.Text)
		out = append(out, e)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start < out[b].Start })
	return out
}

var (
	month  = `(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?`
	dateRe = regexp.MustCompile(`\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{4}|\d{1,2}(?:st|nd|rd|th)? ` + month + `(?: \d{4})?|` + month + ` \d{1,2}(?:st|nd|rd|th)?(?:, \d{4})?|` + month + ` \d{4})\b`)
	// A run of capitalised words, allowing "of", "de", "von", "&" inside.
	// A run stops at a full stop: "Corporation. She" is two.
	nameRe    = regexp.MustCompile(`\b[A-Z][\p{L}'’-]*(?:[ \t]+(?:(?:of|de|la|von|van|der|the|&)[ \t]+)*[A-Z][\p{L}'’-]*)*`)
	orgSuffix = regexp.MustCompile(`\b(?:Inc|Ltd|LLC|GmbH|AG|Corp|Corporation|Company|Co|University|Institute|Foundation|Bank|Group|Association|Agency|Ministry|Council)\.?$`)
	personPre = regexp.MustCompile(`(?:Mr|Mrs|Ms|Dr|Prof|Sir|Herr|Frau)\.?\s+$`)
	placePre  = regexp.MustCompile(`(?:\bin|\bat|\bfrom|\bto|\bnear)\s+$`)
)

var honorific = map[string]bool{"Mr": true, "Mrs": true, "Ms": true, "Dr": true, "Prof": true, "Sir": true, "Herr": true, "Frau": true}

// starters are capitalised words that open sentences without naming
// anything.
var starters = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`Yesterday Today Tomorrow Then Later Now However Meanwhile Also Still Yet Next Finally First Firstly
		Second Third Last Lastly Please Thanks Dear Hello Hi Perhaps Maybe Sometimes Often Usually Afterwards Before After Once`) {
		starters[w] = true
	}
}

// ruleEntities is the fallback: dates by pattern, and runs of capitalised
// words that do not merely start a sentence (a single capitalised word
// right after a sentence's end is taken as an ordinary word).
func ruleEntities(text string) []Entity {
	var out []Entity
	taken := make([]bool, len(text))
	for _, m := range dateRe.FindAllStringIndex(text, -1) {
		out = append(out, Entity{Text: text[m[0]:m[1]], Type: "date"})
		for i := m[0]; i < m[1]; i++ {
			taken[i] = true
		}
	}
	for _, m := range nameRe.FindAllStringIndex(text, -1) {
		if taken[m[0]] {
			continue
		}
		name := strings.TrimRight(text[m[0]:m[1]], "’'-")
		words := strings.Fields(name)
		// What precedes the run, a few words: the title, preposition or
		// sentence end that types it (the whole prefix would make long
		// texts quadratic).
		before := text[max(0, m[0]-24):m[0]]
		// Words that begin a sentence, or are common words however
		// written, are not names: "Yesterday Mrs Jane Doe" is Jane Doe.
		for len(words) > 0 && (stopWords[strings.ToLower(words[0])] || starters[words[0]] ||
			len(words) == 1 && startsSentence(before)) {
			before += words[0] + " "
			words = words[1:]
		}
		titled := false
		for i, w := range words {
			if honorific[w] && i < len(words)-1 {
				// "Dr. Alice Smith", "Mrs Jane Doe": the name after the title, a person.
				words, titled = words[i+1:], true
				break
			}
		}
		if len(words) == 0 || len(words) == 1 && honorific[words[0]] {
			continue
		}
		name = strings.Join(words, " ")
		typ := "other"
		switch {
		case orgSuffix.MatchString(name):
			typ = "organisation"
		case titled || personPre.MatchString(before):
			typ = "person"
		case placePre.MatchString(before) && len(words) <= 3:
			typ = "place"
		}
		out = append(out, Entity{Text: name, Type: typ})
	}
	return out
}

// startsSentence says whether a word after before begins a sentence.
func startsSentence(before string) bool {
	t := strings.TrimRightFunc(before, unicode.IsSpace)
	if t == "" {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(t)
	return last == '.' || last == '!' || last == '?' || last == ':' || last == '"' || last == '\n' || strings.HasSuffix(before, "\n")
}
