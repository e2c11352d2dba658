package semantic

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"

	"github.com/abadojack/whatlanggo"
	"github.com/jonreiter/govader"
)

// Sentiment is a text's overall tone: Label positive, negative, neutral
// or mixed; Score from -1 (most negative) to 1 (most positive).
type Sentiment struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
	Method
}

var sentimentSchema = json.RawMessage(`{"type":"object","properties":{"label":{"type":"string","enum":["positive","negative","neutral","mixed"]},"score":{"type":"number","minimum":-1,"maximum":1}},"required":["label","score"],"additionalProperties":false}`)

// vader is built once: its lexicon is 7,500 words.
var vader = sync.OnceValue(govader.NewSentimentIntensityAnalyzer)

// Sentiment rates a text's tone: the model's, or the VADER lexicon's
// (English only; the note says so for another language).
func (s *Service) Sentiment(ctx context.Context, userID int64, in Input) (*Sentiment, error) {
	text, model, err := s.begin(ctx, userID, in, "semantic_model")
	if err != nil {
		return nil, err
	}
	part, cutShort := head(text)
	var v Sentiment
	askErr := s.ask(ctx, model, 40, "You rate the overall sentiment of a text: its label (positive, negative, neutral, or mixed when it is clearly both) and a score from -1 (very negative) to 1 (very positive), 0 neutral. "+
		"Reply with JSON: {\"label\": \"...\", \"score\": 0.0}.", part, sentimentSchema, &v)
	if askErr == nil {
		v.Method = Method{Method: "model", Model: model}
		if cutShort {
			v.Note = cutNote
		}
		return &v, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	out := lexiconSentiment(text)
	out.Method = s.fallback("sentiment", askErr)
	out.Note += " (the VADER lexicon"
	if lang := whatlanggo.Detect(text); lang.Lang != whatlanggo.Eng && lang.IsReliable() {
		out.Note += "; it knows English words only, and this text looks " + lang.Lang.String() + ", so the score means little"
	}
	out.Note += ")"
	return out, nil
}

// lexiconSentiment averages VADER's compound score over the text's
// paragraphs (VADER is made for sentences and short texts), weighted by
// length; positive at 0.05 and above, negative at -0.05 and below
// (VADER's thresholds), mixed when strong paragraphs of both kinds occur.
func lexiconSentiment(text string) *Sentiment {
	var sum, weight float64
	pos, neg := false, false
	for _, p := range cut(text, 2000) {
		for _, para := range strings.Split(p, "\n\n") {
			if strings.TrimSpace(para) == "" {
				continue
			}
			c := vader().PolarityScores(para).Compound
			w := math.Sqrt(float64(len(para)))
			sum += c * w
			weight += w
			pos = pos || c >= 0.5
			neg = neg || c <= -0.5
		}
	}
	score := 0.0
	if weight > 0 {
		score = math.Round(sum/weight*1000) / 1000
	}
	label := "neutral"
	switch {
	case pos && neg:
		label = "mixed"
	case score >= 0.05:
		label = "positive"
	case score <= -0.05:
		label = "negative"
	}
	return &Sentiment{Label: label, Score: score}
}

// Language is a text's language: ISO 639-1 code (639-3 when there is
// none), its English name, and the confidence 0–1.
type Language struct {
	Language   string  `json:"language"`
	Name       string  `json:"name"`
	Confidence float64 `json:"confidence"`
	Method
}

var languageSchema = json.RawMessage(`{"type":"object","properties":{"language":{"type":"string","minLength":2,"maxLength":3},"name":{"type":"string","minLength":1},"confidence":{"type":"number","minimum":0,"maximum":1}},"required":["language","name","confidence"],"additionalProperties":false}`)

// Language tells a text's language: the model's answer, or trigram
// statistics (whatlanggo, 84 languages).
func (s *Service) Language(ctx context.Context, userID int64, in Input) (*Language, error) {
	text, model, err := s.begin(ctx, userID, in, "semantic_model")
	if err != nil {
		return nil, err
	}
	part, _ := head(text)
	if r := []rune(part); len(r) > 2000 {
		part = string(r[:2000]) // a language shows in a page
	}
	var v Language
	askErr := s.ask(ctx, model, 40, "You tell which language a text is written in: its ISO 639-1 code (ISO 639-3 if it has none), its English name, and your confidence from 0 to 1. "+
		"Reply with JSON: {\"language\": \"en\", \"name\": \"English\", \"confidence\": 0.99}.", part, languageSchema, &v)
	if askErr == nil {
		v.Language = strings.ToLower(v.Language)
		v.Method = Method{Method: "model", Model: model}
		return &v, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	out := detectLanguage(text)
	out.Method = s.fallback("language", askErr)
	out.Note += " (trigram statistics)"
	return out, nil
}

func detectLanguage(text string) *Language {
	info := whatlanggo.Detect(text)
	code := info.Lang.Iso6391()
	if code == "" {
		code = info.Lang.Iso6393()
	}
	return &Language{Language: code, Name: info.Lang.String(), Confidence: math.Round(info.Confidence*1000) / 1000}
}
