package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxLineBytes bounds one JSONL line. A longer line is reported as a bad
// line and skipped instead of growing memory without limit.
const MaxLineBytes = 4 << 20

// errLineTooLong marks a line that exceeded MaxLineBytes.
var errLineTooLong = errors.New("line too long")

// LineReader splits a stream into lines, counting them, without a limit on
// the file size and with a bound on a single line.
type LineReader struct {
	br   *bufio.Reader
	buf  []byte
	line int
	max  int
}

// NewLineReader wraps r; a UTF-8 byte order mark at the start is skipped.
func NewLineReader(r io.Reader) *LineReader {
	br := bufio.NewReaderSize(r, 256<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	return &LineReader{br: br, max: MaxLineBytes}
}

// Next returns the next line without its line ending and its 1-based
// number. The slice is valid until the following call. A line longer than
// MaxLineBytes returns errLineTooLong (wrapped in a *RowError) and is
// skipped; io.EOF ends the stream.
func (lr *LineReader) Next() ([]byte, int, error) {
	lr.buf = lr.buf[:0]
	tooLong := false
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if !tooLong {
			if len(lr.buf)+len(chunk) > lr.max {
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, lr.line, err
		}
		if errors.Is(err, io.EOF) && len(lr.buf) == 0 && !tooLong {
			return nil, lr.line, io.EOF
		}
		lr.line++
		if tooLong {
			return nil, lr.line, rowErr(lr.line, "", "%v (more than %d bytes)", errLineTooLong, lr.max)
		}
		return trimEOL(lr.buf), lr.line, nil
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
