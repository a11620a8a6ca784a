package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// This file splits a manifest into documents exactly as kubectl -f does:
// cli-runtime's FileVisitor decodes the bytes (UTF-16 with a byte order mark,
// a UTF-8 byte order mark, invalid UTF-8 replaced), then
// k8s.io/apimachinery's YAMLOrJSONDecoder reads a stream of JSON values or of
// YAML documents, switching from JSON to YAML once when the second value is
// not JSON. It works on the whole text at once, so line lengths are
// unbounded, and it records where each document starts.
// TestKubectlDecoderAgrees and FuzzSplitMatchesKubectl hold it to
// apimachinery's decoder.

// normalizeText decodes a file's bytes as kubectl's FileVisitor does
// (unicode.BOMOverride(unicode.UTF8.NewDecoder())). Valid UTF-8 without a
// byte order mark, the usual case, is returned as is.
func normalizeText(data []byte) ([]byte, error) {
	if utf8.Valid(data) && !bytes.HasPrefix(data, []byte("\ufeff")) {
		return data, nil
	}
	out, _, err := transform.Bytes(xunicode.BOMOverride(xunicode.UTF8.NewDecoder()), data)
	if err != nil {
		return nil, fmt.Errorf("decoding the text: %w", err)
	}
	return out, nil
}

// lineAt is the 1-based line of byte offset off.
func lineAt(data []byte, off int) int {
	return 1 + bytes.Count(data[:min(off, len(data))], []byte("\n"))
}

// splitError is a malformed stream: the documents before it were read.
type splitError struct {
	line int
	err  error
}

func (e *splitError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *splitError) Unwrap() error { return e.err }

// splitStream splits normalised text into documents as YAMLOrJSONDecoder
// does. Documents before an error are returned with it.
func splitStream(data []byte) ([]document, error) {
	head := data[:min(len(data), 4096)] // GuessJSONStream's look-ahead
	if !bytes.HasPrefix(bytes.TrimLeftFunc(head, unicode.IsSpace), []byte("{")) {
		return splitYAML(data, 0, 0, nil)
	}
	var docs []document
	pos := 0
	lineOff, line := 0, 1 // the line of offset lineOff, counted as documents go
	for {
		start := jsonSpace(data, pos)
		if start == len(data) {
			return docs, nil
		}
		o, _, err := scanJSON(data[start:], 0, false)
		if err == nil {
			line += bytes.Count(data[lineOff:start], []byte("\n"))
			lineOff = start
			docs = append(docs, document{index: len(docs), line: line, dataLine: line, data: data[start : start+o.end], json: true, obj: &o})
			pos = start + o.end
			continue
		}
		off := start
		var se *jsonSyntaxError
		if errors.As(err, &se) {
			off += se.off
		}
		jerr := &splitError{line: lineAt(data, off), err: fmt.Errorf("invalid JSON: %w", err)}
		// After two JSON values the stream is JSON; after none or one, the
		// decoder goes back to the end of the last value and reads the
		// rest as YAML.
		if len(docs) > 1 {
			return docs, jerr
		}
		p, ok := skipFallbackSpace(data, pos)
		if !ok {
			return docs, jerr
		}
		more, err := splitYAML(data, p, len(docs), jerr)
		return append(docs, more...), err
	}
}

// jsonSpace skips what encoding/json's decoder skips between values.
func jsonSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// skipFallbackSpace is YAMLOrJSONDecoder.consumeWhitespace: white space up
// to and including the first newline. It reads four bytes at a time and
// gives up (the JSON error stands) on fewer than four, or on U+FFFD.
func skipFallbackSpace(data []byte, p int) (int, bool) {
	for {
		if len(data)-p < 4 {
			return p, false
		}
		r, size := utf8.DecodeRune(data[p : p+4])
		if r == utf8.RuneError {
			return p, false
		}
		if !unicode.IsSpace(r) {
			return p, true
		}
		p += size
		if r == '\n' {
			return p, true
		}
	}
}

// splitYAML splits data[p:] at "---" lines as YAMLReader does: a line that
// starts with "---" ends the document, and anything but spaces or a comment
// after it is an error. Documents are numbered from first as an editor
// counts them between "---" lines; empty ones are dropped. fallback, when
// set, is the JSON error that stands if the first document is not YAML.
func splitYAML(data []byte, p, first int, fallback *splitError) ([]document, error) {
	var docs []document
	index := first
	line := lineAt(data, p)
	chunk, chunkLine := p, line
	firstLine, held := true, false
	for p < len(data) {
		text, next := nextLine(data, p)
		if bytes.HasPrefix(text, []byte("---")) {
			rest := strings.TrimSpace(string(text[3:]))
			if rest != "" && rest[0] != '#' {
				if fallback != nil && len(docs) == 0 {
					return nil, fallback
				}
				return docs, &splitError{line: line, err: fmt.Errorf("invalid YAML document separator %q: a \"---\" line may be followed only by a comment (put the document on the next line)", "--- "+rest)}
			}
			// YAMLReader ends a document at a separator line only when it
			// holds a line already; otherwise the separator line opens the
			// next document and is part of it. A marker ("---", "--- #c")
			// adds nothing to what YAML reads, so it is left out of the
			// document (held records it); "---#..." (no blank after the
			// dashes) is no marker but text, which kubectl then fails to
			// decode, so it stays in.
			switch {
			case chunk < p:
				docs = append(docs, yamlDocument(data, chunk, p, chunkLine, index))
				index++
				held = false
			case held:
				index++ // a document of only a marker: empty
				held = false
			case len(text) > 3 && text[3] == '#':
				firstLine = false
				p = next
				line++
				continue
			default:
				if !firstLine {
					index++
				}
				if !yamlPrintable(text) {
					// YAML reads the marker's comment with the document
					// that follows, and rejects it: the line stays in, for
					// the error kubectl gives.
					firstLine = false
					p = next
					line++
					continue
				}
				held = true
			}
			chunk, chunkLine = next, line+1
		}
		firstLine = false
		p = next
		line++
	}
	if chunk < len(data) {
		docs = append(docs, yamlDocument(data, chunk, len(data), chunkLine, index))
	}
	if fallback != nil && len(docs) > 0 {
		docs[0].fallback = fallback
	}
	return docs, nil
}

// kubectlLines is a YAML document's text as kubectl's YAMLReader hands it
// to the YAML parser: each line read with bufio's ReadLine, which drops the
// newline and one carriage return before it, then ended with a newline.
// Only "\r\r\n" (one break for kubectl, two for YAML read raw) and a last
// line without a newline (which a block scalar keeps or not) read
// differently; text without a carriage return that ends with a newline is
// returned as is.
func kubectlLines(text []byte) []byte {
	if len(text) == 0 || text[len(text)-1] == '\n' && bytes.IndexByte(text, '\r') < 0 {
		return text
	}
	out := make([]byte, 0, len(text)+1)
	for len(text) > 0 {
		line, next := nextLine(text, 0)
		if next <= len(line) { // the last line, without a newline
			return append(append(out, line...), '\n')
		}
		out = append(append(out, bytes.TrimSuffix(line, []byte("\r"))...), '\n')
		text = text[next:]
	}
	return out
}

// yamlPrintable reports whether YAML's reader (go-yaml v2) accepts every
// character of text: tab, newline, carriage return, and the printable
// ranges of YAML 1.1.
func yamlPrintable(text []byte) bool {
	for _, r := range string(text) {
		switch {
		case r == 0x09, r == 0x0A, r == 0x0D, r >= 0x20 && r <= 0x7E, r == 0x85,
			r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// nextLine is the line of data that starts at p, without its newline, and
// where the next line starts.
func nextLine(data []byte, p int) (text []byte, next int) {
	if i := bytes.IndexByte(data[p:], '\n'); i >= 0 {
		return data[p : p+i], p + i + 1
	}
	return data[p:], len(data)
}

// yamlDocument is the document data[start:end], which starts at line
// startLine; its line is that of its first line that is not blank or a
// comment, so that findings point at the object.
func yamlDocument(data []byte, start, end, startLine, index int) document {
	doc := document{index: index, line: startLine, dataLine: startLine, data: kubectlLines(data[start:end])}
	rest := doc.data
	for l := startLine; len(rest) > 0; l++ {
		text := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			text, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if t := bytes.TrimSpace(text); len(t) > 0 && t[0] != '#' {
			doc.line = l
			break
		}
	}
	return doc
}

// Document is one document of a YAML or JSON stream, as kubectl reads it.
type Document struct {
	// Index counts documents as an editor shows them between "---" lines.
	Index int
	// Line is the 1-based line of the file where the document starts.
	Line int
	// Data is the document's text (YAML or JSON).
	Data []byte
}

// SplitDocuments splits a stream of YAML documents or JSON values exactly
// as kubectl -f does (byte order marks, JSON then YAML, "---" lines), for
// files other than manifests, such as verify's expectations.
func SplitDocuments(data []byte) ([]Document, error) {
	text, err := normalizeText(data)
	if err != nil {
		return nil, err
	}
	docs, err := splitStream(text)
	if err != nil {
		return nil, err
	}
	out := make([]Document, len(docs))
	for i, d := range docs {
		out[i] = Document{Index: d.index, Line: d.line, Data: d.data}
	}
	return out, nil
}
