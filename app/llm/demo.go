package llm

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"
	"unicode"
)

// DemoModel is the name of the built-in demo model.
const DemoModel = "demo"

// DemoEmbeddingSize is the length of the demo model's vectors.
const DemoEmbeddingSize = 64

// Demo is the built-in offline model: no network, and the same input always
// gets the same reply. Replies are short canned texts shaped by the question
// (a greeting, a plan, a code example, ...) and say plainly that they come
// from the demo model.
type Demo struct {
	delay time.Duration
}

var (
	_ Provider  = (*Demo)(nil)
	_ Generator = (*Demo)(nil)
)

// NewDemo returns the demo provider; delay is the pause before each streamed
// word (zero streams at once).
func NewDemo(delay time.Duration) *Demo { return &Demo{delay: delay} }

func (d *Demo) Name() string { return "demo" }

// Chat streams the demo reply to the last user message word by word.
func (d *Demo) Chat(ctx context.Context, req ChatRequest, onChunk func(Chunk) error) (*Result, error) {
	var last string
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(strings.Fields(m.Content))
		if m.Role == "user" {
			last = m.Content
		}
	}
	col := newCollector(DemoModel, onChunk)
	col.res.Demo = true
	col.res.Usage.PromptTokens = prompt
	reply := demoReply(last)
	if content, calls, ok := demoToolTurn(req); ok {
		if len(calls) > 0 {
			col.res.ToolCalls, col.res.DoneReason = calls, "tool_calls"
			return col.result(), ctx.Err()
		}
		reply = content
	}
	var err error
	for _, piece := range splitWords(reply) {
		if err = d.pause(ctx); err != nil {
			break
		}
		if err = col.add(Chunk{Content: piece}); err != nil {
			break
		}
	}
	if err == nil {
		col.res.DoneReason = "stop"
	}
	return col.result(), err
}

// Generate answers a raw prompt as if it were a single user message.
func (d *Demo) Generate(ctx context.Context, model, prompt string, onChunk func(Chunk) error) (*Result, error) {
	return d.Chat(ctx, ChatRequest{Model: model, Messages: []Message{{Role: "user", Content: prompt}}}, onChunk)
}

func (d *Demo) pause(ctx context.Context) error {
	if d.delay <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d.delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Models has the one demo model.
func (d *Demo) Models(context.Context) ([]Model, error) {
	return []Model{{Name: DemoModel, Family: "demo"}}, nil
}

// Embed returns deterministic unit vectors built by hashing words and their
// character trigrams, so texts sharing words get similar vectors and search
// in demo mode finds sensible matches.
func (d *Demo) Embed(ctx context.Context, _ string, input []string) ([][]float32, error) {
	out := make([][]float32, len(input))
	for i, s := range input {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = demoVector(s)
	}
	return out, nil
}

func (d *Demo) Health(context.Context) error { return nil }

func demoVector(s string) []float32 {
	v := make([]float64, DemoEmbeddingSize)
	bump := func(feature string, w float64) {
		h := fnv.New64a()
		h.Write([]byte(feature))
		x := h.Sum64()
		if x>>63 == 1 {
			w = -w
		}
		v[x%DemoEmbeddingSize] += w
	}
	for _, word := range words(s) {
		bump("w:"+word, 1)
		r := []rune("^" + word + "$")
		for i := 0; i+3 <= len(r); i++ {
			bump("t:"+string(r[i:i+3]), 0.5)
		}
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, DemoEmbeddingSize)
	if norm == 0 {
		out[0] = 1
		return out
	}
	norm = math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}

// words lower-cases s and splits it into runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// splitWords cuts s into streaming pieces: each piece is a word with the
// whitespace before it, so joining the pieces gives s back.
func splitWords(s string) []string {
	var pieces []string
	start := 0
	inSpace := false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if space && !inSpace && i > start {
			pieces = append(pieces, s[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(s) {
		pieces = append(pieces, s[start:])
	}
	return pieces
}

const demoFooter = "\n\n_This answer comes from the built-in **demo model**, which replies with examples. Connect Ollama for real answers._"

// demoReply writes the demo model's answer to one message.
func demoReply(msg string) string {
	msg = strings.TrimSpace(msg)
	if reply, ok := demoCited(msg); ok {
		return reply
	}
	if msg == "" {
		return "Hello! I'm the demo model. Ask me anything — for example how to plan your week, or for a code example." + demoFooter
	}
	ws := words(msg)
	has := func(keys ...string) bool {
		for _, w := range ws {
			for _, k := range keys {
				if w == k {
					return true
				}
			}
		}
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(msg))
	pick := func(options ...string) string { return options[h.Sum32()%uint32(len(options))] }
	topic := quoteTopic(msg)

	var b strings.Builder
	switch {
	case has("code", "function", "program", "script", "bug", "error", "compile", "snippet", "implement", "regex", "sql", "python", "golang", "javascript", "typescript", "bash", "java", "rust"):
		lang := codeLanguage(has)
		fmt.Fprintf(&b, "%s %s:\n\n", pick("Here is a starting point for", "Sure — a small example for", "A first sketch for"), topic)
		b.WriteString("1. Start from the smallest version that runs.\n")
		b.WriteString("2. Add one case at a time and test it.\n")
		b.WriteString("3. Handle errors where they happen, not later.\n\n")
		fmt.Fprintf(&b, "```%s\n%s\n```\n\nAdapt the names to your code and run it with a small input first.", lang, codeSnippet(lang))
	case has("hi", "hello", "hey", "morning", "evening", "thanks", "thank"):
		b.WriteString(pick(
			"Hello! Good to hear from you.",
			"Hi there! Thanks for the message.",
			"Hey! Nice to see you here.",
		))
		b.WriteString(" I'm the demo model, so my answers are examples, but you can try:\n\n")
		b.WriteString("- asking for a plan for your day\n- asking for a code example\n- asking a question about your documents")
	case has("plan", "schedule", "task", "tasks", "todo", "week", "day", "today", "tomorrow", "calendar", "meeting", "goal", "goals"):
		fmt.Fprintf(&b, "%s %s:\n\n", pick("Here is a simple plan for", "A plan in three steps for", "Let's organise"), topic)
		b.WriteString("1. **Pick the one outcome** that matters most and block time for it first.\n")
		b.WriteString("2. **Group small tasks** (email, calls) into one short slot.\n")
		b.WriteString("3. **Leave a buffer** of about an hour for the unexpected.\n\n")
		b.WriteString("Review at the end of the day what moved and what can wait.")
	case strings.HasSuffix(msg, "?") || has("what", "how", "why", "when", "where", "who", "which", "explain", "can", "should"):
		fmt.Fprintf(&b, "%s %s.\n\n", pick("Good question:", "You asked:", "Let's look at"), topic)
		b.WriteString("- **In short:** start with the simplest explanation that fits what you know.\n")
		b.WriteString("- **Check:** look for one source you trust that confirms it.\n")
		b.WriteString("- **Next step:** write down what is still unclear and ask about that part.")
	default:
		fmt.Fprintf(&b, "%s %s.\n\n", pick("Noted:", "Thanks — I read:", "Got it:"), topic)
		b.WriteString("Some ways I could help with that:\n\n")
		b.WriteString("- summarise it in a few lines\n- turn it into tasks\n- suggest next steps")
	}
	b.WriteString(demoFooter)
	return b.String()
}

// quoteTopic quotes the start of the message, at most twelve words.
func quoteTopic(msg string) string {
	f := strings.Fields(msg)
	short := len(f) > 12
	if short {
		f = f[:12]
	}
	t := strings.TrimRight(strings.Join(f, " "), "?!.,;: ")
	if short {
		t += " …"
	}
	return "“" + t + "”"
}

func codeLanguage(has func(...string) bool) string {
	switch {
	case has("go", "golang"):
		return "go"
	case has("javascript", "js", "typescript", "ts", "node", "react", "svelte"):
		return "javascript"
	case has("sql", "query", "database", "sqlite", "postgres"):
		return "sql"
	case has("bash", "shell", "sh", "script", "linux"):
		return "bash"
	default:
		return "python"
	}
}

func codeSnippet(lang string) string {
	switch lang {
	case "go":
		return "func process(items []string) ([]string, error) {\n\tout := make([]string, 0, len(items))\n\tfor _, it := range items {\n\t\tif it == \"\" {\n\t\t\treturn nil, fmt.Errorf(\"empty item\")\n\t\t}\n\t\tout = append(out, strings.ToUpper(it))\n\t}\n\treturn out, nil\n}"
	case "javascript":
		return "function process(items) {\n  return items\n    .filter((it) => it !== '')\n    .map((it) => it.toUpperCase());\n}"
	case "sql":
		return "SELECT status, COUNT(*) AS n\nFROM tasks\nWHERE due_date >= date('now')\nGROUP BY status\nORDER BY n DESC;"
	case "bash":
		return "#!/usr/bin/env bash\nset -euo pipefail\nfor f in \"$@\"; do\n  echo \"processing $f\"\ndone"
	default:
		return "def process(items):\n    \"\"\"Upper-case every non-empty item.\"\"\"\n    return [it.upper() for it in items if it]"
	}
}

// demoCited answers a message that carries numbered sources (chat's reply
// from documents: a "Sources:" line, then "[1] name, page N" lines each
// followed by the passage, then "Question: ...") the way a real model
// should: it quotes the sentence of source [1] sharing the most words with
// the question, with its marker, and points at [2] when there is one. ok
// is false for a message without sources.
func demoCited(msg string) (string, bool) {
	lines := strings.Split(msg, "\n")
	at := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == "Sources:" {
			at = i
			break
		}
	}
	if at < 0 {
		return "", false
	}
	var name, passage, question string
	second := false
	for i := at + 1; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(l, "Question: "):
			question = strings.Join(lines[i:], " ")
			i = len(lines)
		case strings.HasPrefix(l, "[1] ") && name == "":
			name = strings.TrimPrefix(l, "[1] ")
			for j := i + 1; j < len(lines) && strings.TrimSpace(lines[j]) != ""; j++ {
				passage += " " + strings.TrimSpace(lines[j])
			}
		case strings.HasPrefix(l, "[2] "):
			second = true
		}
	}
	if name == "" {
		return "", false
	}
	quote := bestSentence(strings.TrimSpace(passage), question)
	var b strings.Builder
	fmt.Fprintf(&b, "According to %s: \u201c%s\u201d [1]", name, quote)
	if second {
		b.WriteString("\n\nThere is more on this in [2].")
	}
	b.WriteString("\n\n_This answer comes from the built-in **demo model**, which quotes the best sentence of the first passage it is given. Connect Ollama for real answers._")
	return b.String(), true
}

// bestSentence is the sentence of s sharing the most words (of three
// letters or more) with question, the first of equals; at most about 300
// characters (cut at a word).
func bestSentence(s, question string) string {
	asked := map[string]bool{}
	for _, w := range words(question) {
		if len([]rune(w)) >= 3 && w != "question" {
			asked[w] = true
		}
	}
	best, bestScore := "", -1
	for _, sent := range sentences(s) {
		score := 0
		for _, w := range words(sent) {
			if asked[w] {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = sent, score
		}
	}
	if r := []rune(best); len(r) > 300 {
		cut := 300
		for cut > 200 && !unicode.IsSpace(r[cut]) {
			cut--
		}
		best = string(r[:cut]) + "\u2026"
	}
	return best
}

// sentences splits s after each '.', '!' or '?' followed by a space.
func sentences(s string) []string {
	var out []string
	r := []rune(s)
	start := 0
	for i, c := range r {
		if (c == '.' || c == '!' || c == '?') && (i+1 == len(r) || unicode.IsSpace(r[i+1])) {
			if t := strings.TrimSpace(string(r[start : i+1])); t != "" {
				out = append(out, t)
			}
			start = i + 1
		}
	}
	if t := strings.TrimSpace(string(r[start:])); t != "" {
		out = append(out, t)
	}
	return out
}
