package inventory

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"unicode"
	"unicode/utf8"

	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"sigs.k8s.io/yaml"
)

// This file reads a large file in parts, so that memory follows the objects
// kept, not the size of the file. A part (segment) is a range of the
// documents of a YAML stream, of the values of a JSON stream, or of the
// items of a List that is the whole file (as kubectl get -o yaml and -o json
// write one). segmentsOf finds the parts in one pass over the file; each is
// then read and decoded on its own, and readFiles adds their objects in the
// file's order. A part that cannot be read on its own exactly as it reads
// in the whole file (JSON that does not scan, a List item that is not
// plain YAML, an error in a YAML item) says so (decodedFile.whole), and the
// file is read whole instead. Every object, origin, warning and error is
// that of reading the file whole; TestSegmentsMatchWhole and
// TestListPartsMatchWhole hold the two ways to each other.

// segmentSize is the size above which a file is read in parts of about this
// size. A variable for the tests. Measured on a 189 MB stream of 100,000
// ConfigMaps (nothing kept): peak resident 710 MB read whole, 489 MB in 32 MB
// segments, 206 MB in 8 MB, 151 MB in 4 MB (114 MB for a tenth of the
// stream); on a 350 MB stream of 100,000 pods, 2,000 namespaces and 20,000
// policies, 2.16 GB whole and 1.98 GB in 4 MB segments, as fast.
var segmentSize int64 = 4 << 20

// segment is the bytes [offset, offset+length) of a file; its first byte
// is at line line. It holds whole documents of a YAML stream, or whole
// values of a JSON stream (json), or items of a List (list).
type segment struct {
	offset, length int64
	line           int
	json           bool
	// list is the List whose items the segment holds, from items[first];
	// last marks the List's last segment.
	list  *listInfo
	first int
	last  bool
}

// listInfo is a List read in parts: the document, and what its items take
// from it.
type listInfo struct {
	json             bool
	doc              document // its index and line
	kind, apiVersion string
	// dash is the column of the "- " of each item (YAML).
	dash int
}

// segmentsOf cuts a file larger than size into parts of about size, in
// one pass, or returns nil to read it whole: stdin, a smaller file, text
// with a byte order mark or NUL bytes (UTF-16), or a shape it does not
// cut (jsonSegments, yamlListSegments, yamlSegments).
func segmentsOf(file string, size int64) []segment {
	if file == "-" {
		return nil
	}
	st, err := os.Stat(file)
	if err != nil || st.Size() <= size {
		return nil // reading it whole reports any error
	}
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	head, _ := r.Peek(4096)
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) || bytes.IndexByte(head, 0) >= 0 {
		return nil
	}
	if bytes.HasPrefix(bytes.TrimLeftFunc(head, unicode.IsSpace), []byte("{")) {
		return jsonSegments(r, size) // a JSON stream, as splitStream decides
	}
	if segs := yamlListSegments(r, size); segs != nil {
		return segs
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil
	}
	r.Reset(f)
	return yamlSegments(r, size)
}

// readLine reads a line with its newline, however long.
func readLine(r *bufio.Reader) ([]byte, error) {
	text, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) { // a long line: read on
		text = append([]byte(nil), text...) // before the buffer is reused
		for errors.Is(err, bufio.ErrBufferFull) {
			var more []byte
			more, err = r.ReadSlice('\n')
			text = append(text, more...)
		}
	}
	return text, err
}

// yamlSegments cuts a YAML stream after a line that is exactly "---"
// between two lines that do not start with "---": there the splitter ends
// the document before, and reads the next line in the state it starts a
// stream in, so splitting the segments one by one gives the documents of
// the whole, numbered from 0 in each.
func yamlSegments(r *bufio.Reader, size int64) []segment {
	var segs []segment
	start, startLine := int64(0), 1
	off, line := int64(0), 1 // of the line being read
	prevDashes := false      // the line before starts with "---"
	cut := int64(-1)         // a cut after the line before, if this line allows it
	for {
		text, err := readLine(r)
		if len(text) == 0 && err != nil {
			break
		}
		body := bytes.TrimSuffix(text, []byte("\n"))
		dashes := bytes.HasPrefix(body, []byte("---"))
		if cut >= 0 && !dashes {
			segs = append(segs, segment{offset: start, length: cut - start, line: startLine})
			start, startLine = cut, line
		}
		cut = -1
		if string(body) == "---" && len(body) < len(text) && !prevDashes && off > start && off-start >= size {
			cut = off + int64(len(text))
		}
		prevDashes = dashes
		off += int64(len(text))
		if len(body) < len(text) {
			line++
		}
		if err != nil {
			break
		}
	}
	if len(segs) == 0 {
		return nil
	}
	return append(segs, segment{offset: start, length: off - start, line: startLine})
}

// jsonSegments finds the parts of a JSON stream in one pass that tracks
// strings and nesting (it does not validate; each part is scanned when it
// is decoded). A stream of several objects is cut before an object; a
// stream that is one object with an "items" array (a List) is cut before
// an item, once what surrounds the items (the envelope) is known to scan
// as a List. Anything else (a value that is not an object, two "items"
// keys, an item that is not an object, text after the stream) is read
// whole.
func jsonSegments(r io.Reader, size int64) []segment {
	var (
		off      int64 // of the byte being read
		lineBase = 1   // the line of the chunk's first byte
		depth    int
		inStr    bool
		esc      bool
		// keys of the outermost object
		expectKey, isKey, afterItemsKey bool
		key                             []byte
		// values of the stream, and where they are cut
		values    int
		valueSegs []segment
		segStart  int64
		segLine   = 1
		docLine   int
		// the List's items, and where they are cut
		itemsKeys, items        int
		inItems                 bool
		itemSegs                []segment
		partStart               int64 = -1
		partLine, partFirst     int
		prefix, suffix          []byte
		prefixDone, suffixStart bool
		noList                  bool
	)
	buf := make([]byte, 1<<20)
	for {
		n, err := io.ReadFull(r, buf)
		chunk := buf[:n]
		from := 0 // of chunk, what the envelope keeps
		line := func(i int) int { return lineBase + bytes.Count(chunk[:i], []byte("\n")) }
		for i := 0; i < n; {
			if !inStr && (depth > 2 || depth > 0 && values > 1) {
				// Inside a List's item, or inside an object of a stream
				// of several: only strings and brackets matter.
				j := i
				for j < n && !jsonDeep[chunk[j]] {
					j++
				}
				off += int64(j - i)
				if i = j; i == n {
					break
				}
			}
			c := chunk[i]
			if inStr {
				if esc {
					esc = false
					if isKey {
						key = appendKey(key, chunk[i:i+1])
					}
					i++
					off++
					continue
				}
				j := bytes.IndexByte(chunk[i:], '"')
				run := chunk[i:]
				if j >= 0 {
					run = chunk[i : i+j]
				}
				if b := bytes.IndexByte(run, '\\'); b >= 0 {
					if isKey {
						key = appendKey(key, run[:b+1])
					}
					esc = true
					i += b + 1
					off += int64(b + 1)
					continue
				}
				if isKey {
					key = appendKey(key, run)
				}
				if j < 0 {
					off += int64(len(run))
					i = n
					continue
				}
				inStr = false
				if isKey {
					isKey, expectKey = false, false
				}
				i += j + 1
				off += int64(j + 1)
				continue
			}
			switch c {
			case ' ', '\t', '\r', '\n':
			case '"':
				switch {
				case depth == 0, depth == 2 && inItems:
					return nil // a value or item that is not an object
				case depth == 1 && expectKey:
					isKey, key = true, key[:0]
				case depth == 1:
					afterItemsKey = false
				}
				inStr = true
			case '{', '[':
				switch {
				case depth == 0:
					if c != '{' {
						return nil
					}
					values++
					if values == 1 {
						docLine = line(i)
					} else {
						prefixDone = true // a stream, not a List
					}
					if values > 1 && off-segStart >= size {
						valueSegs = append(valueSegs, segment{offset: segStart, length: off - segStart, line: segLine, json: true})
						segStart, segLine = off, line(i)
					}
					expectKey = true
				case depth == 1 && afterItemsKey:
					afterItemsKey = false
					if c == '[' && values == 1 {
						inItems = true
					}
				case depth == 2 && inItems:
					if c != '{' {
						return nil
					}
					items++
					switch {
					case partStart < 0:
						prefix = append(prefix, chunk[from:i]...)
						prefixDone = true
						partStart, partLine = off, line(i)
					case off-partStart >= size:
						itemSegs = append(itemSegs, segment{offset: partStart, length: off - partStart, line: partLine, first: partFirst})
						partStart, partLine, partFirst = off, line(i), items-1
					}
				}
				depth++
			case '}', ']':
				depth--
				if depth < 0 {
					return nil
				}
				if depth == 1 && inItems {
					// the items' "]"
					inItems = false
					if partStart >= 0 {
						itemSegs = append(itemSegs, segment{offset: partStart, length: off - partStart, line: partLine, first: partFirst, last: true})
						suffixStart, from = true, i
					}
				}
			case ',':
				if depth == 1 {
					expectKey = true
				}
			case ':':
				if depth == 1 && string(key) == "items" {
					key = key[:0]
					itemsKeys++
					afterItemsKey = true
				}
			default:
				if depth == 0 || depth == 2 && inItems {
					return nil
				}
				if depth == 1 {
					afterItemsKey = false
				}
			}
			i++
			off++
		}
		if !prefixDone {
			prefix = append(prefix, chunk[from:]...)
		}
		if suffixStart {
			suffix = append(suffix, chunk[from:]...)
			from = 0
		}
		lineBase += bytes.Count(chunk, []byte("\n"))
		if len(prefix) > maxEnvelope || len(suffix) > maxEnvelope {
			// Not a List with a small envelope: no items are cut.
			noList, prefixDone, suffixStart, prefix, suffix = true, true, false, nil, nil
		}
		if err != nil {
			break
		}
	}
	if inStr || depth != 0 {
		return nil // the whole read reports what is wrong
	}
	if values > 1 && len(valueSegs) > 0 {
		return append(valueSegs, segment{offset: segStart, length: off - segStart, line: segLine, json: true})
	}
	if values != 1 || itemsKeys != 1 || len(itemSegs) < 2 || noList {
		return nil
	}
	envelope := append(prefix, suffix...)
	start := jsonSpace(envelope, 0)
	o, _, err := scanJSON(envelope, start, false)
	if err != nil || jsonSpace(envelope, o.end) != len(envelope) || !listEnvelope(o) {
		return nil
	}
	list := &listInfo{json: true, doc: document{line: docLine, dataLine: docLine}, kind: o.kind, apiVersion: o.apiVersion}
	for i := range itemSegs {
		itemSegs[i].list = list
	}
	return itemSegs
}

// jsonDeep are the bytes jsonSegments looks at inside an item.
var jsonDeep = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// appendKey keeps the start of a key: enough to tell "items" from others.
func appendKey(key, more []byte) []byte {
	return append(key, more[:min(len(more), max(0, 16-len(key)))]...)
}

// maxEnvelope is the most a List read in parts may hold outside its items.
const maxEnvelope = 1 << 20

// listEnvelope reports whether o, a List with its items left out, is one
// that decodeScanned reads as a List, without repeated keys.
func listEnvelope(o jsonObject) bool {
	return o.object && o.hasItems && len(o.items) == 0 && o.itemsErr == "" && o.kind != "" && !o.dupKeys
}

// yamlListSegments finds the parts of a YAML file that is one List laid
// out as kubectl writes it: block keys at the left margin, one of them
// "items:" alone on its line, followed by items that each start with "- "
// at one column (the lines itemLines finds). It cuts before an item. It
// returns nil, for the file to be read otherwise, at a line that starts
// with "---", "..." or "%" (a stream, or directives), or when the layout
// or the envelope (the List without its items, which must be plain YAML)
// is anything else.
func yamlListSegments(r *bufio.Reader, size int64) []segment {
	var (
		segs                []segment
		envelope            []byte
		state               int // 0: before the items, 1: in them, 2: after
		dash                = -1
		off                 int64 // of the line being read
		line                = 1
		docLine             int
		items               int
		partStart           int64 = -1
		partLine, partFirst int
		itemsStart          int64
		itemsLine           int
	)
	endItems := func() {
		segs = append(segs, segment{offset: partStart, length: off - partStart, line: partLine, first: partFirst, last: true})
		state = 2
	}
	for {
		text, err := readLine(r)
		if len(text) == 0 && err != nil {
			break
		}
		body := bytes.TrimSuffix(text, []byte("\n"))
		if bytes.HasPrefix(body, []byte("---")) || bytes.HasPrefix(body, []byte("...")) || bytes.HasPrefix(body, []byte("%")) {
			return nil
		}
		trimmed := bytes.TrimLeft(body, " ")
		indent := len(body) - len(trimmed)
		if docLine == 0 {
			if t := bytes.TrimSpace(body); len(t) > 0 && t[0] != '#' {
				docLine = line
			}
		}
		if state == 1 {
			switch {
			case len(trimmed) == 0 || trimmed[0] == '#':
			case indent == 0 && bytes.HasPrefix(trimmed, []byte("items:")):
				return nil
			case bytes.HasPrefix(trimmed, []byte("- ")) && (dash < 0 || indent == dash):
				dash = indent
				items++
				switch {
				case partStart < 0:
					partStart, partLine = itemsStart, itemsLine
				case off-partStart >= size:
					segs = append(segs, segment{offset: partStart, length: off - partStart, line: partLine, first: partFirst})
					partStart, partLine, partFirst = off, line, items-1
				}
			case dash < 0:
				return nil // items that are not a block sequence
			case indent == 0:
				endItems()
			case indent <= dash:
				return nil
			}
		}
		if state != 1 {
			if indent == 0 && bytes.HasPrefix(trimmed, []byte("items:")) {
				if state != 0 || string(bytes.TrimRight(body, " ")) != "items:" {
					return nil
				}
				state = 1
				itemsStart, itemsLine = off+int64(len(text)), line+1
			}
			envelope = append(envelope, text...)
			if len(envelope) > maxEnvelope {
				return nil
			}
		}
		off += int64(len(text))
		if len(body) < len(text) {
			line++
		}
		if err != nil {
			break
		}
	}
	if state == 1 && partStart >= 0 {
		endItems()
	}
	if state != 2 || len(segs) < 2 {
		return nil
	}
	j, ok := fastYAMLToJSON(envelope)
	if !ok {
		return nil
	}
	o, _, err := scanJSON(j, 0, false)
	if err != nil || !listEnvelope(o) {
		return nil
	}
	list := &listInfo{doc: document{line: docLine, dataLine: 1}, kind: o.kind, apiVersion: o.apiVersion, dash: dash}
	for i := range segs {
		segs[i].list = list
	}
	return segs
}

// decodeSegment reads and decodes one part of a file (segmentsOf).
func decodeSegment(file string, seg segment) decodedFile {
	f, err := os.Open(file)
	if err != nil {
		return decodedFile{err: fmt.Errorf("reading %s: %w", file, err)}
	}
	defer f.Close()
	data := make([]byte, seg.length)
	if n, err := f.ReadAt(data, seg.offset); err != nil && (err != io.EOF || n < len(data)) {
		return decodedFile{err: fmt.Errorf("reading %s: %w", file, err)}
	}
	// Invalid UTF-8 is replaced as in the whole file; a byte order mark
	// counts only at the start of a file, which no later part is.
	if !utf8.Valid(data) {
		if data, _, err = transform.Bytes(xunicode.UTF8.NewDecoder(), data); err != nil {
			return decodedFile{err: fmt.Errorf("%s: decoding the text: %w", file, err)}
		}
	}
	switch {
	case seg.list != nil:
		return decodeItems(data, seg)
	case seg.json:
		return decodeValues(data, seg)
	}
	docs, splitErr := splitYAML(data, 0, 0, nil)
	for k := range docs {
		docs[k].line += seg.line - 1
		docs[k].dataLine += seg.line - 1
	}
	var se *splitError
	if errors.As(splitErr, &se) {
		se.line += seg.line - 1
	}
	objs := decodeAll(len(docs), func(i int) decoded { return decodeObject(docs[i]) })
	return decodedFile{docs: docs, objs: objs, splitErr: splitErr}
}

// decodeValues decodes the values of a JSON stream in data, numbered from 0.
// A value that does not scan leaves the rest of the file to be read as YAML
// or to fail (splitStream): the file is read whole.
func decodeValues(data []byte, seg segment) decodedFile {
	var docs []document
	p, lineOff, line := 0, 0, seg.line
	for {
		start := jsonSpace(data, p)
		if start == len(data) {
			break
		}
		o, _, err := scanJSON(data[start:], 0, false)
		if err != nil {
			return decodedFile{whole: true}
		}
		line += bytes.Count(data[lineOff:start], []byte("\n"))
		lineOff = start
		docs = append(docs, document{index: len(docs), line: line, dataLine: line, data: data[start : start+o.end], json: true, obj: &o})
		p = start + o.end
	}
	objs := decodeAll(len(docs), func(i int) decoded { return decodeObject(docs[i]) })
	return decodedFile{docs: docs, objs: objs}
}

// decodeItems decodes the items of a List in data, a part of it, as the
// List's document with those items. JSON items scan at the depth they have
// in the List and decode as the whole List's do; an item with a repeated
// key (which sends the whole List through a map, losing its lines) reads
// the file whole. YAML items are converted one by one (yamlItemJSON); an
// error in one reads the file whole, for the whole List's conversion to say
// which.
func decodeItems(data []byte, seg segment) decodedFile {
	list := seg.list
	var its []jsonObject
	var texts [][]byte // YAML: each item's text
	var lines []int
	if list.json {
		p := jsonSpace(data, 0)
		line, lineOff := seg.line, 0
		for p < len(data) {
			it, err := scanItem(data, p)
			if err != nil || it.dupKeys {
				return decodedFile{whole: true}
			}
			line += bytes.Count(data[lineOff:p], []byte("\n"))
			lineOff = p
			its, lines = append(its, it), append(lines, line)
			p = jsonSpace(data, it.end)
			switch {
			case p == len(data) && seg.last:
			case p < len(data) && data[p] == ',':
				if p = jsonSpace(data, p+1); p == len(data) && seg.last {
					return decodedFile{whole: true} // a comma before "]"
				}
			default:
				return decodedFile{whole: true}
			}
		}
	} else {
		// Items start at a line with "- " at column dash; every other line
		// is blank, a comment or further right (yamlListSegments).
		start, line := -1, seg.line
		for p := 0; p < len(data); line++ {
			text, next := nextLine(data, p)
			trimmed := bytes.TrimLeft(text, " ")
			if len(trimmed) > 0 && trimmed[0] != '#' && len(text)-len(trimmed) == list.dash && bytes.HasPrefix(trimmed, []byte("- ")) {
				if start >= 0 {
					texts = append(texts, data[start:p])
				}
				start = p
				lines = append(lines, line)
			}
			p = next
		}
		if start >= 0 {
			texts = append(texts, data[start:])
		}
	}
	n := max(len(its), len(texts))
	whole := make([]bool, n)
	items := decodeAll(n, func(i int) decoded {
		if list.json {
			return decodeItem(data, its[i], lines[i], list.kind, list.apiVersion)
		}
		j, ok := yamlItemJSON(texts[i], list.dash)
		if !ok {
			whole[i] = true
			return decoded{}
		}
		it, err := scanItem(j, 0)
		if err != nil || it.end != len(j) {
			whole[i] = true
			return decoded{}
		}
		r := decodeItem(j, it, 0, list.kind, list.apiVersion)
		if r.err != nil || hasItemError(r) {
			whole[i] = true
		}
		r.line = lines[i]
		return r
	})
	for _, w := range whole {
		if w {
			return decodedFile{whole: true}
		}
	}
	return decodedFile{docs: []document{list.doc}, objs: []decoded{{list: true, items: items, first: seg.first}}}
}

// yamlItemJSON converts one item of a YAML List ("- " at column dash, then
// the lines of its mapping) to the JSON that converting the whole List
// gives for it: by fastYAMLToJSON when it is plain YAML, else by
// sigs.k8s.io/yaml as a one-item sequence. The latter only when nothing in
// the item can mean something else in the whole List: no anchor or alias
// (an alias may name an anchor of another item, and aliases count against
// a limit per document) and no indentation deep enough to near the
// parser's nesting limit, which counts the List around the item.
func yamlItemJSON(item []byte, dash int) ([]byte, bool) {
	item[dash], item[dash+1] = ' ', ' ' // the item's mapping, at its column
	j, ok := fastYAMLToJSON(item)
	item[dash], item[dash+1] = '-', ' '
	if ok {
		return j, true
	}
	if bytes.ContainsAny(item, "&*") {
		return nil, false
	}
	for rest := item; len(rest) > 0; {
		text := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			text, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(text)-len(bytes.TrimLeft(text, " ")) > maxItemIndent {
			return nil, false
		}
	}
	j, err := yaml.YAMLToJSON(kubectlLines(item))
	if err != nil || len(j) < 2 || j[0] != '[' || j[len(j)-1] != ']' {
		return nil, false
	}
	return j[1 : len(j)-1], true
}

// maxItemIndent is the deepest indentation of a YAML List item converted on
// its own by sigs.k8s.io/yaml: far below go-yaml's limit of 10,000 nested
// block levels, which the List around an item adds to.
const maxItemIndent = 1000
