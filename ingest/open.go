package ingest

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

// LeadReader is a stream of leads. Next follows the contract of
// LeadCSVReader.Next.
type LeadReader interface {
	Next() (LeadRecord, error)
}

// Format is a file format, chosen from the file name.
type Format int

const (
	FormatUnknown Format = iota
	FormatCSV
	FormatJSONL
)

// FormatOf guesses a file's format from its name; a trailing .gz is
// ignored. .csv, .tsv and .txt are CSV (the delimiter is detected);
// .jsonl, .ndjson and .json are JSON lines.
func FormatOf(path string) Format {
	name := strings.ToLower(strings.TrimSuffix(strings.ToLower(path), ".gz"))
	switch filepath.Ext(name) {
	case ".csv", ".tsv", ".txt":
		return FormatCSV
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL
	}
	return FormatUnknown
}

// File is an opened input: the decompressed stream, and the size of the
// file on disk for progress reporting (compressed size for .gz, with
// Offset counting compressed bytes too).
type File struct {
	io.Reader
	Size    int64
	f       *os.File
	counter *countingReader
	gz      *gzip.Reader
}

// Offset is how many bytes of the file on disk have been consumed.
// It may be called from another goroutine (a progress display).
func (f *File) Offset() int64 { return f.counter.n.Load() }

// Close closes the file.
func (f *File) Close() error {
	if f.gz != nil {
		_ = f.gz.Close()
	}
	return f.f.Close()
}

// OpenFile opens a path for reading, decompressing it when it ends in .gz.
func OpenFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s is a directory", path)
	}
	c := &countingReader{r: f}
	out := &File{Reader: c, Size: st.Size(), f: f, counter: c}
	if strings.HasSuffix(strings.ToLower(path), ".gz") {
		gz, err := gzip.NewReader(c)
		if err != nil {
			f.Close()
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "%s: %v", path, err)
		}
		out.Reader, out.gz = gz, gz
	}
	return out, nil
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// NewLeadReader returns the reader for a lead file of the given format.
func NewLeadReader(r io.Reader, format Format, checker *quality.Checker) (LeadReader, error) {
	switch format {
	case FormatCSV:
		return NewLeadCSVReader(r, checker)
	case FormatJSONL:
		return NewLeadJSONLReader(r, checker), nil
	}
	return nil, fmt.Errorf("unknown lead file format")
}
