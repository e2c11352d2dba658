package documents

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aiwfe/aiwfe/store"
)

// DataPart is the documents' share of a user's data (a datarights.Part):
// the documents' metadata with their original files, and, on deletion,
// the stored files.
type DataPart struct {
	dir  string
	drop func(userID int64)
}

// DataPart returns the part app.Open registers.
func (s *Service) DataPart() DataPart { return DataPart{dir: s.d.DataDir, drop: s.vectors.drop} }

// Tables is the documents tables.
func (DataPart) Tables() map[string]string { return store.DocumentTables }

// ExportDocument is one document in the archive: its metadata and the
// original file. The passages and vectors are not exported: they are made
// again from the file.
type ExportDocument struct {
	*store.Document
	// File is the original, base64-encoded (null when the file is gone).
	File fileContent `json:"file_base64"`
}

// fileContent reads its file only when the archive is encoded, so the
// snapshot's transaction holds no file in memory.
type fileContent string

func (f fileContent) MarshalJSON() ([]byte, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return []byte("null"), nil
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// Export puts "documents".
func (p DataPart) Export(ctx context.Context, tx *sql.Tx, userID int64, put func(string, any)) error {
	docs, err := store.UserDocuments(ctx, tx, userID)
	if err != nil {
		return err
	}
	out := make([]ExportDocument, 0, len(docs))
	for _, d := range docs {
		out = append(out, ExportDocument{Document: d, File: fileContent(filepath.Join(p.dir, d.FilePath))})
	}
	put("documents", out)
	return nil
}

// Delete leaves the rows to the cascade and removes the user's stored
// files once the deletion has committed.
func (p DataPart) Delete(_ context.Context, _ *sql.Tx, userID int64) (func(), error) {
	dir := filepath.Join(p.dir, Dir, strconv.FormatInt(userID, 10))
	return func() {
		p.drop(userID)
		os.RemoveAll(dir)
	}, nil
}
