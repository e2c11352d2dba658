package llm

import (
	"encoding/json"
	"reflect"
	"testing"
)

var ollamaLineCases = []string{
	`{"model":"llama3.2:3b","created_at":"2026-01-02T03:04:05.123Z","message":{"role":"assistant","content":"tok0 "},"done":false}`,
	`{"model":"m","created_at":"x","message":{"role":"assistant","content":"","thinking":"hmm"},"done":false}`,
	`{"model":"m","response":"a\nb \"q\" \u00e9\ud83d\ude00","thinking":"t","done":false}`,
	`{"model":"m","message":{"content":"\u2028é"},"done":false}`,
	`{"model":"m","message":{"content":"bad \xff utf8"},"done":false}`,
	`{"model":"m","message":{"content":"x"},"done":true,"done_reason":"stop","total_duration":12,"eval_count":3}`,
	`{"error":"boom"}`,
	`{"model":"m","message":{"Content":"x"},"done":false}`,
	`{"Model":"m","message":{"content":"x"},"done":false}`,
	`{"model":"m","message":null,"done":false}`,
	`{"model":"m","message":{"content":null},"done":false}`,
	`{"model":5,"message":{"content":"x"},"done":false}`,
	`{"model":"m","message":{"content":"x"},"done":"no"}`,
	`{"model":"m","message":{"content":"x"},"done":false,"extra":{"a":[1,-2.5e3,true,null,"s",{}],"b":[]}}`,
	`{"model":"m","message":{"content":"x"},"done":false,"extra":01}`,
	`{"model":"m","message":{"content":"x"},"done":false,"extra":1.}`,
	`{"model":"m","message":{"content":"x"},"done":false} x`,
	`{"model":"m","message":{"content":"x"},"done":false,}`,
	`{"model":"m","message":{"content":"x"}"done":false}`,
	`{"model":"m","message":{"content":"x\u12"},"done":false}`,
	`{"model":"m","message":{"content":"tab	inside"},"done":false}`,
	`{"mod\u0065l":"m","message":{"content":"x"},"done":false}`,
	`{"reſponse":"x","done":false}`,
	`{"message":{"content":"a"},"message":{"thinking":"b"},"done":false}`,
	`{}`,
	`[]`,
	`{"message":{"content":"x"}`,
	` { "message" : { "content" : "x" } , "done" : false } `,
}

// The fast path decodes exactly what encoding/json does, or leaves the
// line to it.
func TestDecodeOllamaLineMatchesEncodingJSON(t *testing.T) {
	for _, c := range ollamaLineCases {
		var want ollamaLine
		wantErr := json.Unmarshal([]byte(c), &want)
		var got ollamaLine
		got.Response = "stale" // reused between lines
		gotErr := decodeOllamaLine([]byte(c), &got)
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s: err = %v, encoding/json: %v", c, gotErr, wantErr)
			continue
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c, got, want)
		}
	}
	// The common chunk takes the fast path.
	var l ollamaLine
	if !parseOllamaChunk([]byte(ollamaLineCases[0]), &l) || l.Message.Content != "tok0 " {
		t.Fatalf("chunk line not read by the fast path: %+v", l)
	}
}

func FuzzDecodeOllamaLine(f *testing.F) {
	for _, c := range ollamaLineCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want, got ollamaLine
		wantErr := json.Unmarshal(b, &want)
		gotErr := decodeOllamaLine(b, &got)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: err = %v, encoding/json: %v", b, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}

func BenchmarkDecodeOllamaLine(b *testing.B) {
	line := []byte(ollamaLineCases[0])
	var l ollamaLine
	b.ReportAllocs()
	for b.Loop() {
		if err := decodeOllamaLine(line, &l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOllamaLineEncodingJSON(b *testing.B) {
	line := []byte(ollamaLineCases[0])
	b.ReportAllocs()
	for b.Loop() {
		var l ollamaLine
		if err := json.Unmarshal(line, &l); err != nil {
			b.Fatal(err)
		}
	}
}
