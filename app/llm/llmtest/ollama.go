package llmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// OllamaServer is a stand-in for Ollama's native API (v0.17 wire format):
// /api/version, /api/tags, /api/chat, /api/generate, /api/embed, /api/pull,
// /api/ps and /api/show. Its URL is the base URL to give the client.
type OllamaServer struct {
	*Server
}

// OllamaVersion is what the stand-in's /api/version reports.
const OllamaVersion = "0.17.4"

// NewOllama starts an Ollama stand-in, closed when the test ends.
func NewOllama(t testing.TB, opts ...Option) *OllamaServer {
	t.Helper()
	o := &OllamaServer{}
	o.Server = newServer(t, opts, ollamaName, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /api/version", o.version)
		mux.HandleFunc("GET /api/tags", o.tags)
		mux.HandleFunc("POST /api/chat", o.chat)
		mux.HandleFunc("POST /api/generate", o.generate)
		mux.HandleFunc("POST /api/embed", o.embed)
		mux.HandleFunc("POST /api/pull", o.pull)
		mux.HandleFunc("GET /api/ps", o.ps)
		mux.HandleFunc("POST /api/show", o.show)
	})
	return o
}

// ollamaName gives a bare name the tag Ollama assumes.
func ollamaName(name string) string {
	if name != "" && !strings.Contains(name, ":") {
		return name + ":latest"
	}
	return name
}

func digest(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func details(name string) map[string]any {
	family := "llama"
	size, quant := "3.2B", "Q4_K_M"
	if strings.Contains(name, "embed") {
		family, size, quant = "nomic-bert", "137M", "F16"
	}
	return map[string]any{
		"parent_model":       "",
		"format":             "gguf",
		"family":             family,
		"families":           []string{family},
		"parameter_size":     size,
		"quantization_level": quant,
	}
}

var modifiedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (o *OllamaServer) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": OllamaVersion})
}

func (o *OllamaServer) tags(w http.ResponseWriter, r *http.Request) {
	models := []map[string]any{}
	for _, m := range o.modelList() {
		models = append(models, map[string]any{
			"name":        m,
			"model":       m,
			"modified_at": modifiedAt,
			"size":        int64(2019393189),
			"digest":      digest(m),
			"details":     details(m),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

type ollamaGenRequest struct {
	Model    string         `json:"model"`
	Messages []wireMessage  `json:"messages"`
	Prompt   *string        `json:"prompt"`
	Stream   *bool          `json:"stream"`
	Options  map[string]any `json:"options"`
}

func (o *OllamaServer) chat(w http.ResponseWriter, r *http.Request) { o.gen(w, r, true) }

func (o *OllamaServer) generate(w http.ResponseWriter, r *http.Request) { o.gen(w, r, false) }

// gen answers /api/chat (chat) and /api/generate (!chat) like Ollama: NDJSON
// lines of content, then a done line with the metrics.
func (o *OllamaServer) gen(w http.ResponseWriter, r *http.Request, chat bool) {
	var req ollamaGenRequest
	if !o.readJSON(w, r, &req) {
		return
	}
	if req.Model == "" {
		o.writeError(w, r, http.StatusBadRequest, "model is required")
		return
	}
	name := ollamaName(req.Model)
	if !o.hasModel(name) {
		o.writeError(w, r, http.StatusNotFound, fmt.Sprintf("model '%s' not found", req.Model))
		return
	}
	o.markLoaded(name)
	prompt := countWords(req.Messages)
	if req.Prompt != nil {
		prompt = len(strings.Fields(*req.Prompt))
	}
	toks, cut := o.reply(intOption(req.Options, "num_predict"))
	reason := "stop"
	if cut {
		reason = "length"
	}
	thinking := o.cfg.thinking
	if !chat && req.Prompt != nil && *req.Prompt == "" {
		toks, thinking, reason = nil, nil, "load" // an empty prompt only loads the model
	}
	line := func(content, thinking string, done bool) map[string]any {
		l := map[string]any{"model": req.Model, "created_at": time.Now().UTC(), "done": done}
		if chat {
			m := map[string]any{"role": "assistant", "content": content}
			if thinking != "" {
				m["thinking"] = thinking
			}
			l["message"] = m
		} else {
			l["response"] = content
			if thinking != "" {
				l["thinking"] = thinking
			}
		}
		return l
	}
	final := func(content string) map[string]any {
		l := line(content, "", true)
		l["done_reason"] = reason
		l["total_duration"] = int64(12_000_000) + int64(len(toks))*1_000_000
		l["load_duration"] = int64(2_000_000)
		l["prompt_eval_count"] = prompt
		l["prompt_eval_duration"] = int64(3_000_000)
		l["eval_count"] = len(toks)
		l["eval_duration"] = int64(len(toks)) * 1_000_000
		if !chat {
			l["context"] = []int{1, 2, 3}
		}
		return l
	}

	if req.Stream != nil && !*req.Stream {
		o.completed.Add(1) // before the write: the client may look as soon as it has read it
		writeJSON(w, http.StatusOK, final(strings.Join(toks, "")))
		return
	}
	st := o.newStreamer(w, r, "application/x-ndjson")
	if chat && o.callsTools(req.Messages) {
		// Ollama sends each call whole, arguments as an object, in one line.
		var calls []map[string]any
		for _, c := range o.cfg.toolCalls {
			calls = append(calls, map[string]any{"function": map[string]any{"name": c.Name, "arguments": json.RawMessage(c.Arguments)}})
		}
		l := line("", "", false)
		l["message"].(map[string]any)["tool_calls"] = calls
		if st.token(append(mustJSON(l), '\n')) != nil {
			return
		}
		st.finish(append(mustJSON(final("")), '\n'))
		return
	}
	for i, tok := range append(slices.Clone(thinking), toks...) {
		if st.errorAfter() {
			_ = st.write(append(mustJSON(map[string]string{"error": st.fault.Message}), '\n'))
			return
		}
		content, think := tok, ""
		if i < len(thinking) {
			content, think = "", tok
		}
		if st.token(chunkLine(req.Model, chat, content, think)) != nil {
			return
		}
	}
	if st.errorAfter() {
		_ = st.write(append(mustJSON(map[string]string{"error": st.fault.Message}), '\n'))
		return
	}
	st.finish(append(mustJSON(final("")), '\n'))
}

func (o *OllamaServer) embed(w http.ResponseWriter, r *http.Request) {
	model, vecs, words, ok := o.embedRequest(w, r)
	if !ok {
		return
	}
	name := ollamaName(model)
	if !o.hasModel(name) {
		o.writeError(w, r, http.StatusNotFound, fmt.Sprintf("model %q not found, try pulling it first", model))
		return
	}
	o.markLoaded(name)
	writeJSON(w, http.StatusOK, map[string]any{
		"model":             model,
		"embeddings":        vecs,
		"total_duration":    int64(5_000_000),
		"load_duration":     int64(1_000_000),
		"prompt_eval_count": words,
	})
}

// pull streams download progress for installed or pullable names; other
// names fail after the manifest step, as the registry answers for them.
func (o *OllamaServer) pull(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if !o.readJSON(w, r, &req) {
		return
	}
	name := ollamaName(req.Model)
	if name == "" {
		name = ollamaName(req.Name)
	}
	if name == "" || strings.ContainsAny(name, " \t\n") {
		o.writeError(w, r, http.StatusBadRequest, "invalid model name")
		return
	}
	st := o.newStreamer(w, r, "application/x-ndjson")
	send := func(v any) bool {
		if st.token(append(mustJSON(v), '\n')) != nil {
			return false
		}
		if st.errorAfter() {
			_ = st.write(append(mustJSON(map[string]string{"error": st.fault.Message}), '\n'))
			return false
		}
		return true
	}
	if !send(map[string]any{"status": "pulling manifest"}) {
		return
	}
	o.mu.Lock()
	known := slices.Contains(o.models, name) || slices.Contains(o.cfg.pullable, name)
	o.mu.Unlock()
	if !known {
		_ = st.write(append(mustJSON(map[string]string{"error": "pull model manifest: file does not exist"}), '\n'))
		return
	}
	d := "sha256:" + digest(name)
	const total = int64(4_000_000)
	for done := int64(0); done <= total; done += total / 4 {
		p := map[string]any{"status": "pulling " + d[7:19], "digest": d, "total": total}
		if done > 0 {
			p["completed"] = done
		}
		if !send(p) {
			return
		}
	}
	for _, status := range []string{"verifying sha256 digest", "writing manifest"} {
		if !send(map[string]any{"status": status}) {
			return
		}
	}
	// The model is installed before "success" goes out, as in Ollama: a
	// client that lists models right after reading it must see the model.
	o.mu.Lock()
	if !slices.Contains(o.models, name) {
		o.models = append(o.models, name)
	}
	o.mu.Unlock()
	st.finish(append(mustJSON(map[string]any{"status": "success"}), '\n'))
}

func (o *OllamaServer) ps(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	names := make([]string, 0, len(o.loaded))
	for n := range o.loaded {
		names = append(names, n)
	}
	loaded := make(map[string]time.Time, len(o.loaded))
	for n, at := range o.loaded {
		loaded[n] = at
	}
	o.mu.Unlock()
	slices.Sort(names)
	models := []map[string]any{}
	for _, n := range names {
		models = append(models, map[string]any{
			"name":           n,
			"model":          n,
			"size":           int64(3_400_000_000),
			"digest":         digest(n),
			"details":        details(n),
			"expires_at":     loaded[n].Add(5 * time.Minute).UTC(),
			"size_vram":      int64(0),
			"context_length": 4096,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

func (o *OllamaServer) show(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if !o.readJSON(w, r, &req) {
		return
	}
	model := req.Model
	if model == "" {
		model = req.Name
	}
	name := ollamaName(model)
	if !o.hasModel(name) {
		o.writeError(w, r, http.StatusNotFound, fmt.Sprintf("model '%s' not found", model))
		return
	}
	d := details(name)
	arch := d["family"].(string)
	caps := []string{"completion", "tools"}
	embedLen := 3072
	if strings.Contains(name, "embed") {
		caps, embedLen = []string{"embedding"}, 768
	}
	if slices.ContainsFunc(o.cfg.noTools, func(m string) bool { return ollamaName(m) == name }) {
		caps = []string{"completion"}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"modelfile":  "FROM " + name + "\n",
		"parameters": "num_ctx 4096",
		"template":   "{{ .Prompt }}",
		"details":    d,
		"model_info": map[string]any{
			"general.architecture":     arch,
			"general.parameter_count":  3212749888,
			arch + ".context_length":   131072,
			arch + ".embedding_length": embedLen,
		},
		"capabilities": caps,
		"modified_at":  modifiedAt,
	})
}

// chunkLine encodes one streamed chunk as Ollama writes it — keys in its
// order: model, created_at, message (or response), done — without
// reflection, so the stand-in costs little CPU beside the server it feeds
// (benchmarks run both in one process on two cores).
func chunkLine(model string, chat bool, content, thinking string) []byte {
	b := make([]byte, 0, 112+len(model)+len(content)+len(thinking))
	b = append(b, `{"model":`...)
	b = appendJSONString(b, model)
	b = append(b, `,"created_at":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if chat {
		b = append(b, `,"message":{"role":"assistant","content":`...)
		b = appendJSONString(b, content)
		if thinking != "" {
			b = append(b, `,"thinking":`...)
			b = appendJSONString(b, thinking)
		}
		b = append(b, '}')
	} else {
		b = append(b, `,"response":`...)
		b = appendJSONString(b, content)
		if thinking != "" {
			b = append(b, `,"thinking":`...)
			b = appendJSONString(b, thinking)
		}
	}
	return append(b, ",\"done\":false}\n"...)
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
