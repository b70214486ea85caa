package upstream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Server-sent events, both ends: the hub's stream writes them, the desk's
// client reads them. Only the parts of the format the board uses are
// written (event and data fields); the reader follows the format as
// browsers do, so a proxy's comments or CRLF line ends do no harm.

// MaxEventBytes bounds one event the client reads: a board carries up to
// a hundred alerts, each with its record's body.
const MaxEventBytes = 32 << 20

// RefreshHeader is the stream's answer header that gives the hub's refresh
// period (a Go duration, "5s"): the board comes at least that often, so a
// client hearing nothing for several periods knows the connection is dead.
const RefreshHeader = "Agentdesk-Stream-Refresh"

// ErrEventTooLarge is returned by the stream reader for an event over
// MaxEventBytes.
var ErrEventTooLarge = errors.New("server-sent event too large")

// writeEvent writes one event with v as its JSON data (a single line:
// encoding/json escapes every newline).
func writeEvent(w io.Writer, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, b)
	return err
}

// readEventsID is readEvents that also passes each event's last event ID
// (the latest id field so far, as a browser keeps it; "" before any).
func readEventsID(r io.Reader, limit int, fn func(id, name string, data []byte)) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var (
		lastID  string
		name    string
		data    []byte // the data lines, joined by LF (an event's one line: itself)
		lines   int
		hasData bool
		inEvent bool // a field line since the last dispatch
		first   = true
	)
	for {
		line, err := readLine(br, limit-len(data))
		if err != nil {
			if errors.Is(err, io.EOF) && !inEvent && len(line) == 0 {
				return io.EOF
			}
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			if errors.Is(err, ErrEventTooLarge) {
				return fmt.Errorf("%w: over %d bytes", err, limit)
			}
			return err
		}
		if first {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			first = false
		}
		if len(line) == 0 {
			if hasData {
				fn(lastID, name, data)
			}
			name, data, lines, hasData, inEvent = "", nil, 0, false, false
			continue
		}
		if line[0] == ':' {
			continue
		}
		inEvent = true
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			name = string(value)
		case "data":
			// A board is one line of a few hundred kilobytes: kept as read,
			// not copied, unless the event has more lines.
			if lines == 0 {
				data = value
			} else {
				data = append(append(append(make([]byte, 0, len(data)+1+len(value)), data...), '\n'), value...)
			}
			lines++
			hasData = true
		case "id":
			if !bytes.ContainsRune(value, 0) {
				lastID = string(value)
			}
		}
		if name == "" {
			name = "message"
		}
	}
}

// readLine returns the next line without its end (LF or CRLF). It fails
// with ErrEventTooLarge once the line passes limit bytes, and with io.EOF,
// together with any bytes read, when r ends before a line end.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > limit+2 {
			return nil, ErrEventTooLarge
		}
		if line == nil {
			line = make([]byte, 0, len(chunk))
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}
