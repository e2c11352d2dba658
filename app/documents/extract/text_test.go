package extract

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func src(name string, b []byte) Source {
	return Source{R: bytes.NewReader(b), Size: int64(len(b)), Name: name}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		name string
		data string
		want string
		err  error
	}{
		{"notes.txt", "hello", "txt", nil},
		{"README", "plain words", "txt", nil},
		{"a.md", "# Title", "md", nil},
		{"page.html", "<p>x</p>", "html", nil},
		{"page", "<!DOCTYPE html><p>x</p>", "html", nil},
		{"paper.pdf", "%PDF-1.7\n...", "pdf", nil},
		{"renamed.pdf", "MZ\x90\x00\x03\x00\x00\x00", "", ErrUnsupported},
		{"report.docx", "PK\x03\x04rest", "docx", nil},
		{"archive.zip", "PK\x03\x04rest", "", ErrUnsupported},
		{"main.go", "package main", "code", nil},
		{"data.csv", "a,b\n1,2", "csv", nil},
		{"empty.txt", "", "", ErrEmpty},
		{"latin1.txt", "caf\xe9 au lait, an old encoding with more text after it", "", ErrUnsupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Detect(src(tc.name, []byte(tc.data)))
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Fatalf("Detect = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestExtractText(t *testing.T) {
	doc, err := Extract(context.Background(), src("n.txt", []byte("\xef\xbb\xbfFirst   para\r\nsame para\r\n\r\n\r\nＦｕｌｌｗｉｄｔｈ second\n")))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Format != "txt" || doc.Pages != 1 || len(doc.Blocks) != 2 ||
		doc.Blocks[0].Text != "First para\nsame para" || doc.Blocks[1].Text != "Fullwidth second" {
		t.Fatalf("%+v", doc)
	}
	if _, err := Extract(context.Background(), src("blank.txt", []byte("  \n\n \t "))); !errors.Is(err, ErrEmpty) {
		t.Fatalf("blank file: %v", err)
	}
}
