package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// jsonObject is what the decoder needs from one JSON value before decoding
// it into a typed object: where it is, its apiVersion and kind, and, for a
// list (an object with an "items" key, as kubectl's unstructured decoder
// decides), where each item is.
type jsonObject struct {
	start, end int
	object     bool // a JSON object; anything else is not a Kubernetes object
	apiVersion string
	kind       string
	// hasItems: the object has an "items" key; items are its elements when
	// it is an array (null is an empty list), itemsErr says when it is not.
	hasItems bool
	items    []jsonObject
	itemsErr string
	// dupKeys: some object in the value repeats a key (or has a key with
	// an escape). kubectl's unstructured decoding keeps the last; typed
	// JSON decoding would merge, so such values are decoded through a map
	// first.
	dupKeys bool
}

// jsonScanner validates JSON as encoding/json does (same grammar, same
// nesting limit) and records the top-level fields a Kubernetes object is
// dispatched on, in one pass and without allocating for the values it skips.
// FuzzJSONScanner holds it to json.Valid.
type jsonScanner struct {
	data []byte
	// yamlSafe, when set, also checks that YAML (go-yaml v2, which
	// sigs.k8s.io/yaml uses) reads the text as the same value: no
	// duplicate keys, no escapes go-yaml lacks or reads otherwise, only
	// integers, only printable ASCII, no tabs or carriage returns.
	yamlSafe bool
	unsafe   bool
	dupKeys  bool
	keys     [][]byte // reused for the duplicate-key check
	// sets hold the keys of the objects being scanned that have more
	// than maxListedKeys, by their mark in keys.
	sets map[int]map[string]struct{}
}

// maxListedKeys is how many keys of one object are compared one by one;
// the keys of a larger object are checked through a set.
const maxListedKeys = 64

type jsonSyntaxError struct {
	off int
	msg string
}

func (e *jsonSyntaxError) Error() string { return e.msg }

func (s *jsonScanner) fail(i int, what string) error {
	if i >= len(s.data) {
		return &jsonSyntaxError{off: len(s.data), msg: "unexpected end of JSON input"}
	}
	return &jsonSyntaxError{off: i, msg: fmt.Sprintf("invalid character %s %s", quoteJSONChar(s.data[i]), what)}
}

// quoteJSONChar formats a byte as encoding/json's syntax errors do.
func quoteJSONChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := fmt.Sprintf("%q", string(c))
	return "'" + s[1:len(s)-1] + "'"
}

func (s *jsonScanner) space(i int) int {
	for i < len(s.data) {
		switch s.data[i] {
		case ' ', '\n':
		case '\t', '\r':
			s.unsafe = true
		default:
			return i
		}
		i++
	}
	return i
}

// object scans the value at data[i] (no leading space) and records its
// fields; depth is the nesting level of the value.
func (s *jsonScanner) object(i, depth int) (jsonObject, error) {
	o := jsonObject{start: i}
	if i >= len(s.data) || s.data[i] != '{' {
		end, err := s.value(i, depth)
		o.end = end
		return o, err
	}
	o.object = true
	if depth > maxJSONDepth {
		return o, &jsonSyntaxError{off: i, msg: "exceeded max depth"}
	}
	mark := len(s.keys)
	defer func() {
		s.keys = s.keys[:mark]
		if s.sets != nil {
			delete(s.sets, mark)
		}
	}()
	i = s.space(i + 1)
	if i < len(s.data) && s.data[i] == '}' {
		o.end = i + 1
		return o, nil
	}
	for {
		if i >= len(s.data) || s.data[i] != '"' {
			return o, s.fail(i, "looking for beginning of object key string")
		}
		ks := i
		end, err := s.str(i)
		if err != nil {
			return o, err
		}
		key := s.data[ks+1 : end-1]
		s.checkKey(mark, key)
		i = s.space(end)
		if i >= len(s.data) || s.data[i] != ':' {
			return o, s.fail(i, "after object key")
		}
		i = s.space(i + 1)
		vs := i
		switch string(key) {
		case "items":
			o.hasItems, o.items, o.itemsErr = true, nil, ""
			switch {
			case i < len(s.data) && s.data[i] == '[':
				o.items = []jsonObject{}
				i, err = s.array(i, depth+1, func(j int) (int, error) {
					item, err := s.object(j, depth+2)
					if err == nil {
						o.items = append(o.items, item)
					}
					return item.end, err
				})
			default:
				i, err = s.value(i, depth+1)
				if err == nil && !bytes.Equal(s.data[vs:i], []byte("null")) {
					o.itemsErr = "items is not an array"
				}
			}
		case "kind", "apiVersion":
			i, err = s.value(i, depth+1)
			if err == nil {
				v := ""
				if s.data[vs] == '"' {
					v = string(s.data[vs+1 : i-1])
					if bytes.IndexByte(s.data[vs:i], '\\') >= 0 {
						_ = json.Unmarshal(s.data[vs:i], &v)
					}
				}
				if key[0] == 'k' {
					o.kind = v
				} else {
					o.apiVersion = v
				}
			}
		default:
			i, err = s.value(i, depth+1)
		}
		if err != nil {
			return o, err
		}
		i = s.space(i)
		if i < len(s.data) && s.data[i] == ',' {
			i = s.space(i + 1)
			continue
		}
		if i < len(s.data) && s.data[i] == '}' {
			o.end = i + 1
			return o, nil
		}
		return o, s.fail(i, "after object key:value pair")
	}
}

// checkKey notes a key that repeats within one object, and what makes a
// key read differently by YAML: its merge key, and keys longer than YAML's
// simple-key limit. Keys are compared as written; a key with an escape is
// counted as a repeat, as "a" and "\u0061" are one key once decoded.
func (s *jsonScanner) checkKey(mark int, key []byte) {
	if s.yamlSafe && (len(key) > 1000 || string(key) == "<<") {
		s.unsafe = true
	}
	if s.dupKeys {
		return
	}
	if bytes.IndexByte(key, '\\') >= 0 {
		s.dupKeys = true
		return
	}
	if n := len(s.keys) - mark; n >= maxListedKeys {
		set := s.sets[mark]
		if set == nil {
			set = make(map[string]struct{}, 2*n)
			for _, k := range s.keys[mark:] {
				set[string(k)] = struct{}{}
			}
			if s.sets == nil {
				s.sets = map[int]map[string]struct{}{}
			}
			s.sets[mark] = set
		}
		if _, seen := set[string(key)]; seen {
			s.dupKeys = true
			return
		}
		set[string(key)] = struct{}{}
		return
	}
	for _, k := range s.keys[mark:] {
		if bytes.Equal(k, key) {
			s.dupKeys = true
			return
		}
	}
	s.keys = append(s.keys, key)
}

func (s *jsonScanner) array(i, depth int, elem func(int) (int, error)) (int, error) {
	if depth > maxJSONDepth {
		return i, &jsonSyntaxError{off: i, msg: "exceeded max depth"}
	}
	i = s.space(i + 1)
	if i < len(s.data) && s.data[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := elem(i)
		if err != nil {
			return end, err
		}
		i = s.space(end)
		if i < len(s.data) && s.data[i] == ',' {
			i = s.space(i + 1)
			continue
		}
		if i < len(s.data) && s.data[i] == ']' {
			return i + 1, nil
		}
		return i, s.fail(i, "after array element")
	}
}

// value scans any JSON value at data[i] and returns its end.
func (s *jsonScanner) value(i, depth int) (int, error) {
	if i >= len(s.data) {
		return i, s.fail(i, "")
	}
	switch c := s.data[i]; {
	case c == '{':
		o, err := s.object(i, depth)
		return o.end, err
	case c == '[':
		return s.array(i, depth, func(j int) (int, error) { return s.value(j, depth+1) })
	case c == '"':
		return s.str(i)
	case c == '-' || c >= '0' && c <= '9':
		return s.number(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	}
	return i, s.fail(i, "looking for beginning of value")
}

func (s *jsonScanner) literal(i int, lit string) (int, error) {
	for k := 1; k < len(lit); k++ {
		if i+k >= len(s.data) || s.data[i+k] != lit[k] {
			return i + k, s.fail(i+k, "in literal "+lit+" (expecting "+quoteJSONChar(lit[k])+")")
		}
	}
	return i + len(lit), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *jsonScanner) number(i int) (int, error) {
	start := i
	if s.data[i] == '-' {
		i++
		if i >= len(s.data) || !isDigit(s.data[i]) {
			return i, s.fail(i, "in numeric literal")
		}
	}
	if s.data[i] == '0' {
		i++
	} else {
		for i < len(s.data) && isDigit(s.data[i]) {
			i++
		}
	}
	integer := true
	if i < len(s.data) && s.data[i] == '.' {
		integer = false
		i++
		if i >= len(s.data) || !isDigit(s.data[i]) {
			return i, s.fail(i, "after decimal point in numeric literal")
		}
		for i < len(s.data) && isDigit(s.data[i]) {
			i++
		}
	}
	if i < len(s.data) && (s.data[i] == 'e' || s.data[i] == 'E') {
		integer = false
		i++
		if i < len(s.data) && (s.data[i] == '+' || s.data[i] == '-') {
			i++
		}
		if i >= len(s.data) || !isDigit(s.data[i]) {
			return i, s.fail(i, "in exponent of numeric literal")
		}
		for i < len(s.data) && isDigit(s.data[i]) {
			i++
		}
	}
	if s.yamlSafe && (!integer || i-start > 18 || bytes.Equal(s.data[start:i], []byte("-0"))) {
		s.unsafe = true // YAML reads floats, -0 and big integers otherwise
	}
	return i, nil
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// str scans a string starting at the quote data[i] and returns its end.
func (s *jsonScanner) str(i int) (int, error) {
	i++
	for {
		// The common case: a run of plain characters.
		for i < len(s.data) {
			c := s.data[i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			if c >= 0x7f {
				s.unsafe = true
			}
			i++
		}
		if i >= len(s.data) {
			return i, s.fail(i, "")
		}
		switch c := s.data[i]; {
		case c == '"':
			return i + 1, nil
		case c < 0x20:
			return i, s.fail(i, "in string literal")
		}
		// An escape.
		i++
		if i >= len(s.data) {
			return i, s.fail(i, "")
		}
		switch s.data[i] {
		case '"', '\\', 'b', 'f', 'n', 'r', 't':
			i++
		case '/':
			s.unsafe = true // go-yaml v2 has no \/
			i++
		case 'u':
			for k := 1; k <= 4; k++ {
				if i+k >= len(s.data) || !isHex(s.data[i+k]) {
					return i + k, s.fail(i+k, "in \\u hexadecimal character escape")
				}
			}
			if c := s.data[i+1]; c == 'd' || c == 'D' {
				if c2 := s.data[i+2]; c2 >= '8' && c2 <= '9' || c2 >= 'a' && c2 <= 'f' || c2 >= 'A' && c2 <= 'F' {
					s.unsafe = true // surrogates: go-yaml rejects them
				}
			}
			i += 5
		default:
			return i, s.fail(i, "in string escape code")
		}
	}
}

// scanJSON validates the JSON value at data[i:] (no leading space) and
// returns its fields; yamlSafe says whether YAML reads it as the same
// value (see jsonScanner).
func scanJSON(data []byte, i int, yamlSafe bool) (o jsonObject, safe bool, err error) {
	// keys holds the keys of the objects being scanned, outer ones first:
	// room for most documents at once rather than grown a key at a time.
	s := jsonScanner{data: data, yamlSafe: yamlSafe, keys: make([][]byte, 0, 32)}
	o, err = s.object(i, 1)
	o.dupKeys = s.dupKeys
	return o, yamlSafe && !s.unsafe && !s.dupKeys, err
}

// listItemDepth is the nesting level of a List's items (list, items
// array, item), at which scanJSON checks them.
const listItemDepth = 3

// scanItem scans the JSON value at data[i:] as scanJSON scans it as an
// item of a List: the nesting limit counts the list around it.
func scanItem(data []byte, i int) (jsonObject, error) {
	s := jsonScanner{data: data, keys: make([][]byte, 0, 32)}
	o, err := s.object(i, listItemDepth)
	o.dupKeys = s.dupKeys
	return o, err
}
