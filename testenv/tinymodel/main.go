// Command tinymodel writes a tiny llama-architecture GGUF model with random
// weights and a Modelfile for it, so that tests can run a real Ollama without
// downloading any model. The output is random text: tests must assert the
// protocol, not the words.
//
// Usage: tinymodel -out DIR  (writes DIR/tiny.gguf and DIR/Modelfile)
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/ollama/ollama/fs/ggml"
)

const (
	blocks = 2
	embed  = 64
	heads  = 4
	ff     = 128
	ctxLen = 2048
)

// modelfile gives the model a chat template (mentioning .Tools so Ollama
// reports the tools capability) and a short default answer length.
const modelfile = `FROM ./tiny.gguf
TEMPLATE """{{- if .System }}System: {{ .System }}
{{ end }}{{- if .Tools }}Tools: {{ range .Tools }}{{ .Function.Name }} {{ end }}
{{ end }}{{- range .Messages }}{{ if eq .Role "user" }}User: {{ .Content }}
{{ else if eq .Role "assistant" }}Assistant: {{ .Content }}
{{ end }}{{ end }}Assistant: """
PARAMETER num_predict 32
`

func main() {
	out := flag.String("out", ".", "directory to write tiny.gguf and Modelfile into")
	seed := flag.Uint64("seed", 1, "seed for the random weights (same seed, same file)")
	flag.Parse()
	if err := run(*out, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "tinymodel:", err)
		os.Exit(1)
	}
}

func run(dir string, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tokens, scores, types := vocabulary()
	kv := ggml.KV{
		"general.architecture":                   "llama",
		"general.name":                           "tiny",
		"general.file_type":                      uint32(0), // all F32
		"llama.block_count":                      uint32(blocks),
		"llama.context_length":                   uint32(ctxLen),
		"llama.embedding_length":                 uint32(embed),
		"llama.feed_forward_length":              uint32(ff),
		"llama.attention.head_count":             uint32(heads),
		"llama.attention.head_count_kv":          uint32(heads),
		"llama.attention.layer_norm_rms_epsilon": float32(1e-5),
		"llama.rope.dimension_count":             uint32(embed / heads),
		"llama.rope.freq_base":                   float32(10000),
		"llama.vocab_size":                       uint32(len(tokens)),
		"tokenizer.ggml.model":                   "llama",
		"tokenizer.ggml.tokens":                  tokens,
		"tokenizer.ggml.scores":                  scores,
		"tokenizer.ggml.token_type":              types,
		"tokenizer.ggml.unknown_token_id":        uint32(0),
		"tokenizer.ggml.bos_token_id":            uint32(1),
		"tokenizer.ggml.eos_token_id":            uint32(2),
		"tokenizer.ggml.add_bos_token":           true,
		"tokenizer.ggml.add_eos_token":           false,
	}

	rng := rand.New(rand.NewPCG(seed, 0x7e57))
	weights := func(name string, scale float32, shape ...uint64) *ggml.Tensor {
		n := uint64(1)
		for _, d := range shape {
			n *= d
		}
		buf := make([]float32, n)
		for i := range buf {
			buf[i] = (rng.Float32()*2 - 1) * scale
		}
		return tensor(name, buf, shape)
	}
	ones := func(name string, n uint64) *ggml.Tensor {
		buf := make([]float32, n)
		for i := range buf {
			buf[i] = 1
		}
		return tensor(name, buf, []uint64{n})
	}

	vocab := uint64(len(tokens))
	// Shapes are innermost dimension first, as GGUF stores them.
	ts := []*ggml.Tensor{
		weights("token_embd.weight", 0.5, embed, vocab),
		ones("output_norm.weight", embed),
		weights("output.weight", 0.5, embed, vocab),
	}
	for b := range blocks {
		p := fmt.Sprintf("blk.%d.", b)
		ts = append(ts,
			ones(p+"attn_norm.weight", embed),
			weights(p+"attn_q.weight", 0.2, embed, embed),
			weights(p+"attn_k.weight", 0.2, embed, embed),
			weights(p+"attn_v.weight", 0.2, embed, embed),
			weights(p+"attn_output.weight", 0.2, embed, embed),
			ones(p+"ffn_norm.weight", embed),
			weights(p+"ffn_gate.weight", 0.2, embed, ff),
			weights(p+"ffn_up.weight", 0.2, embed, ff),
			weights(p+"ffn_down.weight", 0.2, ff, embed),
		)
	}

	path := filepath.Join(dir, "tiny.gguf")
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := ggml.WriteGGUF(f, kv, ts); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "Modelfile"), []byte(modelfile), 0o644)
}

func tensor(name string, data []float32, shape []uint64) *ggml.Tensor {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, data)
	return &ggml.Tensor{Name: name, Kind: 0, Shape: shape, WriterTo: bytes.NewReader(b.Bytes())}
}

// SentencePiece token types.
const (
	typeNormal  = 1
	typeUnknown = 2
	typeControl = 3
	typeByte    = 6
)

// vocabulary is a SentencePiece ("llama") vocabulary: the special tokens, the
// 256 byte-fallback tokens, the word-boundary marker, the printable ASCII
// characters and a few common words, so any input can be tokenised.
func vocabulary() (tokens []string, scores []float32, types []int32) {
	add := func(tok string, score float32, typ int32) {
		tokens = append(tokens, tok)
		scores = append(scores, score)
		types = append(types, typ)
	}
	add("<unk>", 0, typeUnknown)
	add("<s>", 0, typeControl)
	add("</s>", 0, typeControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), 0, typeByte)
	}
	add("\u2581", -1, typeNormal)
	for c := byte('!'); c <= '~'; c++ {
		add(string(c), -2, typeNormal)
	}
	for i, w := range []string{"the", "and", "hello", "world", "User", "Assistant", "is", "a", "to", "of"} {
		add("\u2581"+w, -3-float32(i)*0.01, typeNormal)
	}
	return tokens, scores, types
}
