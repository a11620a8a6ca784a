package inventory

import "bytes"

// fastYAMLToJSON converts the plain block YAML that kubectl, Helm and most
// tools write (block mappings and sequences, one-line plain and quoted
// scalars, comments) to JSON, several times faster than sigs.k8s.io/yaml,
// whose YAML parser dominates reading large manifests. It gives up (ok is
// false) on everything else: anchors, aliases, tags, flow collections other
// than {} and [], block and multi-line scalars, escapes in double quotes,
// keys that are not plain names or that repeat, scalars YAML 1.1 could read
// as anything but a string, a decimal integer, a boolean or null, tabs,
// carriage returns and bytes outside ASCII. The caller then uses
// sigs.k8s.io/yaml, so a document always decodes to what sigs.k8s.io/yaml
// makes of it; TestFastYAMLMatchesSigsYAML and FuzzFastYAML hold it to that.
// Keys keep their order (sigs.k8s.io/yaml sorts them); decoded objects are
// the same.
func fastYAMLToJSON(doc []byte) (out []byte, ok bool) {
	for _, b := range doc {
		if b >= 0x7f || (b < 0x20 && b != '\n') {
			return nil, false
		}
	}
	c := &yamlConv{
		out:   make([]byte, 0, len(doc)+len(doc)/4),
		lines: make([]yamlLine, 0, bytes.Count(doc, []byte{'\n'})+1),
	}
	for len(doc) > 0 {
		line := doc
		if i := bytes.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i], doc[i+1:]
		} else {
			doc = nil
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		text := bytes.TrimRight(line[indent:], " ")
		if len(text) == 0 || text[0] == '#' {
			continue // blank lines and comments
		}
		c.lines = append(c.lines, yamlLine{indent: indent, text: text})
	}
	if len(c.lines) == 0 || isSeqItem(c.lines[0].text) {
		return nil, false
	}
	if !c.mapping(c.lines[0].indent) || c.i != len(c.lines) {
		return nil, false
	}
	return c.out, true
}

type yamlLine struct {
	indent int
	text   []byte // without indentation and trailing spaces
}

type yamlConv struct {
	lines []yamlLine
	i     int
	out   []byte
}

func isSeqItem(text []byte) bool {
	return len(text) >= 2 && text[0] == '-' && text[1] == ' ' || len(text) == 1 && text[0] == '-'
}

// mapping converts the block mapping whose keys sit at column indent.
func (c *yamlConv) mapping(indent int) bool {
	c.out = append(c.out, '{')
	var keyBuf [16][]byte // most mappings have fewer keys: no allocation
	keys := keyBuf[:0]
	for c.i < len(c.lines) {
		l := c.lines[c.i]
		if l.indent < indent || (l.indent == indent && isSeqItem(l.text)) {
			break
		}
		if l.indent > indent {
			return false
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return false
		}
		for _, k := range keys {
			if bytes.Equal(k, key) {
				return false // sigs.k8s.io/yaml keeps the last; JSON decoding may merge
			}
		}
		keys = append(keys, key)
		if len(keys) > 1 {
			c.out = append(c.out, ',')
		}
		c.out = appendJSONString(c.out, key)
		c.out = append(c.out, ':')
		c.i++
		if len(rest) > 0 && rest[0] != '#' {
			if !c.scalar(rest) || !c.endsHere(indent) {
				return false
			}
			continue
		}
		// A nested block, a compact sequence at the key's column, or null.
		if c.i < len(c.lines) {
			n := c.lines[c.i]
			switch {
			case n.indent > indent:
				if !c.node(n.indent) {
					return false
				}
				continue
			case n.indent == indent && isSeqItem(n.text):
				if !c.sequence(indent) {
					return false
				}
				continue
			}
		}
		c.out = append(c.out, "null"...)
	}
	c.out = append(c.out, '}')
	return true
}

func (c *yamlConv) node(indent int) bool {
	if isSeqItem(c.lines[c.i].text) {
		return c.sequence(indent)
	}
	return c.mapping(indent)
}

// sequence converts the block sequence whose dashes sit at column indent.
func (c *yamlConv) sequence(indent int) bool {
	c.out = append(c.out, '[')
	first := true
	for c.i < len(c.lines) {
		l := c.lines[c.i]
		if l.indent < indent || !isSeqItem(l.text) {
			if l.indent > indent {
				return false
			}
			break
		}
		if l.indent > indent {
			return false
		}
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		if len(l.text) == 1 {
			return false // "-" with the item on the next lines
		}
		spaces := 1
		for 1+spaces < len(l.text) && l.text[1+spaces] == ' ' {
			spaces++
		}
		item := l.text[1+spaces:]
		if item[0] == '#' || isSeqItem(item) {
			return false
		}
		if _, _, isKey := splitKey(item); isKey {
			// "- key: value": a mapping whose keys sit at the item's column.
			c.lines[c.i] = yamlLine{indent: indent + 1 + spaces, text: item}
			if !c.mapping(indent + 1 + spaces) {
				return false
			}
			continue
		}
		c.i++
		if !c.scalar(item) || !c.endsHere(indent) {
			return false
		}
	}
	c.out = append(c.out, ']')
	return true
}

// endsHere checks that a scalar written on the line before does not go on
// to more indented lines, which YAML would read as part of it.
func (c *yamlConv) endsHere(indent int) bool {
	return c.i >= len(c.lines) || c.lines[c.i].indent <= indent
}

// splitKey splits "key: rest" or "key:"; the key must be a plain name that
// YAML 1.1 reads as a string.
func splitKey(text []byte) (key, rest []byte, ok bool) {
	i := bytes.Index(text, []byte(": "))
	switch {
	case i >= 0:
		key, rest = text[:i], bytes.TrimLeft(text[i+2:], " ")
	case text[len(text)-1] == ':':
		key = text[:len(text)-1]
	default:
		return nil, nil, false
	}
	// YAML limits implicit keys to 1024 characters.
	if len(key) == 0 || len(key) > 1000 || !isNameStart(key[0]) || isKeyword(key) {
		return nil, nil, false
	}
	for _, b := range key {
		if !(isNameStart(b) || b >= '0' && b <= '9' || b == '-' || b == '.') {
			return nil, nil, false
		}
	}
	return key, rest, true
}

func isNameStart(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == '/'
}

// yamlKeywords are the plain words YAML 1.1 (go-yaml v2, which
// sigs.k8s.io/yaml uses) reads as booleans or null.
var yamlKeywords = map[string]string{
	"y": "true", "Y": "true", "yes": "true", "Yes": "true", "YES": "true",
	"true": "true", "True": "true", "TRUE": "true", "on": "true", "On": "true", "ON": "true",
	"n": "false", "N": "false", "no": "false", "No": "false", "NO": "false",
	"false": "false", "False": "false", "FALSE": "false", "off": "false", "Off": "false", "OFF": "false",
	"null": "null", "Null": "null", "NULL": "null",
}

func isKeyword(s []byte) bool {
	_, ok := yamlKeywords[string(s)]
	return ok
}

// scalar converts a one-line scalar (trailing spaces already trimmed).
func (c *yamlConv) scalar(s []byte) bool {
	switch s[0] {
	case '"':
		end := bytes.IndexByte(s[1:], '"')
		if end < 0 || bytes.IndexByte(s[1:1+end], '\\') >= 0 || !onlyComment(s[2+end:]) {
			return false
		}
		c.out = appendJSONString(c.out, s[1:1+end])
		return true
	case '\'':
		var val []byte
		i := 1
		for {
			j := bytes.IndexByte(s[i:], '\'')
			if j < 0 {
				return false
			}
			val = append(val, s[i:i+j]...)
			i += j + 1
			if i < len(s) && s[i] == '\'' { // '' is a quote
				val = append(val, '\'')
				i++
				continue
			}
			break
		}
		if !onlyComment(s[i:]) {
			return false
		}
		c.out = appendJSONString(c.out, val)
		return true
	case '{', '[':
		if len(s) == 2 && (s[1] == '}' && s[0] == '{' || s[1] == ']' && s[0] == '[') {
			c.out = append(c.out, s...)
			return true
		}
		return false
	}
	// A plain scalar ends at a comment.
	if i := bytes.Index(s, []byte(" #")); i >= 0 {
		s = bytes.TrimRight(s[:i], " ")
	}
	if bytes.Contains(s, []byte(": ")) || s[len(s)-1] == ':' {
		return false
	}
	if v, ok := yamlKeywords[string(s)]; ok {
		c.out = append(c.out, v...)
		return true
	}
	if s[0] >= '0' && s[0] <= '9' {
		return c.digits(s)
	}
	if s[0] == '~' && len(s) == 1 {
		c.out = append(c.out, "null"...)
		return true
	}
	if !isNameStart(s[0]) {
		return false // indicators (- ? : , & * ! | > % @ `) and numbers with a sign or dot
	}
	c.out = appendJSONString(c.out, s)
	return true
}

// digits converts a plain scalar that starts with a digit the way go-yaml
// v2 resolves it: a decimal integer, or a string when it is neither an
// integer (strconv.ParseInt base 0, underscores dropped) nor a float (its
// yamlStyleFloat pattern). Timestamps stay strings when decoded into
// interface{}, as sigs.k8s.io/yaml does. So addresses (10.0.0.5), CIDRs
// (10.0.0.0/8), quantities (128Mi) and UIDs are strings. Octal, hex,
// binary, underscores, signs and floats are left to the real parser.
func (c *yamlConv) digits(s []byte) bool {
	for _, b := range s {
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '.' || b == '/' || b == '-') {
			return false
		}
	}
	if s[0] == '0' && len(s) > 1 && (s[1] >= 'a' && s[1] <= 'z' || s[1] >= 'A' && s[1] <= 'Z') {
		return false // 0x, 0o, 0b
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == len(s) {
		if len(s) > 18 || (s[0] == '0' && len(s) > 1) {
			return false // octal, or too long for int64
		}
		c.out = append(c.out, s...) // a decimal integer
		return true
	}
	if looksLikeFloat(s) {
		return false
	}
	c.out = appendJSONString(c.out, s)
	return true
}

// looksLikeFloat matches [0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?, go-yaml v2's
// float pattern for a scalar that starts with a digit.
func looksLikeFloat(s []byte) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

// onlyComment: what follows a quoted scalar is nothing, or a comment after
// a space.
func onlyComment(rest []byte) bool {
	if len(rest) == 0 {
		return true
	}
	return rest[0] == ' ' && bytes.TrimLeft(rest, " ")[0] == '#'
}

// appendJSONString quotes ASCII text without control characters (the only
// kind fastYAMLToJSON lets through) as a JSON string.
func appendJSONString(out, s []byte) []byte {
	out = append(out, '"')
	for _, b := range s {
		switch b {
		case '"', '\\':
			out = append(out, '\\', b)
		default:
			out = append(out, b)
		}
	}
	return append(out, '"')
}
