package inventory

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// fastUnmarshal decodes JSON text into obj (a non-nil pointer) as
// kjson.UnmarshalCaseSensitivePreserveInts does, about twice as fast: the
// text was already validated by jsonScanner, so it is not scanned a second
// time, and what the decoder does per type (fields by name, elements,
// unmarshalers) is worked out once per type, not per value.
//
// It decodes only what it is sure to decode the same way: struct fields by
// exact name through inline structs, maps with string keys, slices, pointers,
// strings, booleans, integers, floats and types with their own UnmarshalJSON.
// On anything else (interface{} fields, base64 []byte, TextUnmarshaler, the
// ",string" option, ambiguous field names) and on anything kjson would
// reject, such as a string where a number belongs, it stops and ok is false:
// obj is then partly set, and the caller decodes the text again with kjson
// into a fresh object, which also says what is wrong. The text must not
// repeat a key in an object (the scanner reports those; they go through a
// map first). TestFastUnmarshalMatchesKJSON and FuzzFastUnmarshal hold it to
// kjson.
func fastUnmarshal(data []byte, obj any) (ok bool) {
	defer func() {
		// A case this decoder did not foresee must cost speed, never the
		// run: kjson decodes the text again into a fresh object. (The tests
		// call typedUnmarshal, so that they see such a panic.)
		if recover() != nil {
			ok = false
		}
	}()
	return typedUnmarshal(data, obj)
}

// typedUnmarshal is fastUnmarshal without the recover.
func typedUnmarshal(data []byte, obj any) bool {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return false
	}
	d := typedDecoder{data: data}
	i := d.space(0)
	end, ok := d.value(i, v.Elem(), planFor(v.Type().Elem()))
	return ok && d.space(end) == len(data)
}

// typedPlan is how one Go type is decoded.
type typedPlan struct {
	t    reflect.Type
	kind reflect.Kind
	// unmarshaler: *t implements json.Unmarshaler; a value is handed to it.
	unmarshaler bool
	// unsupported: values of this type are left to kjson.
	unsupported bool
	elem        *typedPlan // of a pointer, slice or map
	key         reflect.Type
	fields      map[string]typedField
}

type typedField struct {
	index []int
	plan  *typedPlan
}

var (
	typedPlans   sync.Map // reflect.Type -> *typedPlan, complete
	typedPlansMu sync.Mutex

	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonNumberType      = reflect.TypeFor[json.Number]()
)

// planFor returns t's plan, building it (and those of the types it holds)
// once.
func planFor(t reflect.Type) *typedPlan {
	if p, ok := typedPlans.Load(t); ok {
		return p.(*typedPlan)
	}
	typedPlansMu.Lock()
	defer typedPlansMu.Unlock()
	building := map[reflect.Type]*typedPlan{}
	p := buildPlan(t, building)
	for t, p := range building {
		typedPlans.Store(t, p)
	}
	return p
}

func buildPlan(t reflect.Type, building map[reflect.Type]*typedPlan) *typedPlan {
	if p, ok := typedPlans.Load(t); ok {
		return p.(*typedPlan)
	}
	if p, ok := building[t]; ok {
		return p // a recursive type: filled in below, before anyone reads it
	}
	p := &typedPlan{t: t, kind: t.Kind()}
	building[t] = p
	pt := reflect.PointerTo(t)
	switch {
	case t.Kind() != reflect.Pointer && pt.Implements(jsonUnmarshalerType):
		p.unmarshaler = true
		return p
	case t.Kind() != reflect.Pointer && pt.Implements(textUnmarshalerType), t == jsonNumberType:
		p.unsupported = true
		return p
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
	case reflect.Pointer:
		p.elem = buildPlan(t.Elem(), building)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			p.unsupported = true // base64 text
			break
		}
		p.elem = buildPlan(t.Elem(), building)
	case reflect.Map:
		kt := t.Key()
		if kt.Kind() != reflect.String || reflect.PointerTo(kt).Implements(textUnmarshalerType) {
			p.unsupported = true
			break
		}
		p.key = kt
		p.elem = buildPlan(t.Elem(), building)
	case reflect.Struct:
		p.fields = map[string]typedField{}
		if !addFields(p, t, nil, building) {
			p.fields, p.unsupported = nil, true
		}
	default: // interfaces, arrays, channels, functions
		p.unsupported = true
	}
	return p
}

// addFields adds the JSON fields of struct t, reached through index, to p,
// promoting the fields of untagged embedded structs as encoding/json does.
// It fails where encoding/json's rules get subtle: a name defined twice,
// embedded pointers, the ",string" option, unusual tag names.
func addFields(p *typedPlan, t reflect.Type, index []int, building map[reflect.Type]*typedPlan) bool {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		at := append(index[:len(index):len(index)], i)
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				return false
			}
			if ft.Kind() == reflect.Struct {
				if !addFields(p, ft, at, building) {
					return false
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		for _, o := range strings.Split(opts, ",") {
			if o == "string" {
				return false
			}
		}
		if name == "" {
			name = sf.Name
		} else if !plainTagName(name) {
			return false
		}
		if _, dup := p.fields[name]; dup {
			return false
		}
		p.fields[name] = typedField{index: at, plan: buildPlan(sf.Type, building)}
	}
	return true
}

func plainTagName(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '$') {
			return false
		}
	}
	return true
}

// typedDecoder walks JSON text known to be valid.
type typedDecoder struct {
	data []byte
}

func (d *typedDecoder) space(i int) int {
	for i < len(d.data) {
		switch d.data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value decodes the value at data[i] into v and returns its end.
func (d *typedDecoder) value(i int, v reflect.Value, p *typedPlan) (int, bool) {
	if p.unsupported {
		return i, false
	}
	c := d.data[i]
	if p.unmarshaler {
		end := d.skip(i)
		u := v.Addr().Interface().(json.Unmarshaler)
		return end, u.UnmarshalJSON(d.data[i:end]) == nil
	}
	if c == 'n' { // null
		switch p.kind {
		case reflect.Pointer, reflect.Map, reflect.Slice:
			v.SetZero()
		}
		return i + len("null"), true
	}
	switch p.kind {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(p.t.Elem()))
		}
		return d.value(i, v.Elem(), p.elem)
	case reflect.Struct:
		if c != '{' {
			return i, false
		}
		return d.object(i, func(quoted []byte, j int) (int, bool) {
			key := quoted[1 : len(quoted)-1]
			if bytes.IndexByte(key, '\\') >= 0 {
				s, ok := d.str(quoted)
				if !ok {
					return j, false
				}
				key = []byte(s)
			}
			f, ok := p.fields[string(key)]
			if !ok {
				return d.skip(j), true // an unknown field
			}
			fv := v.Field(f.index[0])
			for _, k := range f.index[1:] {
				fv = fv.Field(k)
			}
			return d.value(j, fv, f.plan)
		})
	case reflect.Map:
		if c != '{' {
			return i, false
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(p.t))
		}
		var elem, key reflect.Value
		return d.object(i, func(quoted []byte, j int) (int, bool) {
			if !elem.IsValid() {
				elem, key = reflect.New(p.t.Elem()).Elem(), reflect.New(p.key).Elem()
			} else {
				elem.SetZero()
			}
			s, ok := d.str(quoted)
			if !ok {
				return j, false
			}
			end, ok := d.value(j, elem, p.elem)
			if ok {
				key.SetString(s)
				v.SetMapIndex(key, elem)
			}
			return end, ok
		})
	case reflect.Slice:
		if c != '[' {
			return i, false
		}
		n := d.count(i)
		s := reflect.MakeSlice(p.t, n, n)
		i = d.space(i + 1)
		for k := range n {
			end, ok := d.value(i, s.Index(k), p.elem)
			if !ok {
				return end, false
			}
			i = d.space(d.space(end) + 1) // past the comma or the ]
		}
		if n == 0 {
			i++ // the ]
		}
		v.Set(s)
		return i, true
	case reflect.String:
		if c != '"' {
			return i, false
		}
		end := d.skipString(i)
		s, ok := d.str(d.data[i:end])
		v.SetString(s)
		return end, ok
	case reflect.Bool:
		switch c {
		case 't':
			v.SetBool(true)
			return i + len("true"), true
		case 'f':
			v.SetBool(false)
			return i + len("false"), true
		}
		return i, false
	}
	// A number into a number.
	if c != '-' && (c < '0' || c > '9') {
		return i, false
	}
	end := d.skip(i)
	num := string(d.data[i:end])
	switch p.kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return end, false
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil || v.OverflowUint(n) {
			return end, false
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(num, p.t.Bits())
		if err != nil || v.OverflowFloat(n) {
			return end, false
		}
		v.SetFloat(n)
	default:
		return end, false
	}
	return end, true
}

// object calls field for each key of the object at data[i] (quoted) with
// where its value starts, and returns the object's end.
func (d *typedDecoder) object(i int, field func(quoted []byte, at int) (int, bool)) (int, bool) {
	i = d.space(i + 1)
	if d.data[i] == '}' {
		return i + 1, true
	}
	for {
		end := d.skipString(i)
		quoted := d.data[i:end]
		i = d.space(d.space(end) + 1) // past the colon
		end, ok := field(quoted, i)
		if !ok {
			return end, false
		}
		i = d.space(end)
		if d.data[i] == '}' {
			return i + 1, true
		}
		i = d.space(i + 1) // past the comma
	}
}

// count returns how many elements the array at data[i] has.
func (d *typedDecoder) count(i int) int {
	i = d.space(i + 1)
	if d.data[i] == ']' {
		return 0
	}
	n := 1
	for {
		i = d.space(d.skip(i))
		if d.data[i] == ']' {
			return n
		}
		n++
		i = d.space(i + 1)
	}
}

// skip returns the end of the value at data[i].
func (d *typedDecoder) skip(i int) int {
	switch d.data[i] {
	case '"':
		return d.skipString(i)
	case '{', '[':
		depth := 0
		for ; i < len(d.data); i++ {
			switch d.data[i] {
			case '"':
				i = d.skipString(i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(d.data) {
		switch d.data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the end of the string whose quote is at data[i].
func (d *typedDecoder) skipString(i int) int {
	for i++; i < len(d.data); i++ {
		switch d.data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// str is the value of a quoted JSON string, as encoding/json unquotes it
// (escapes, and invalid UTF-8 made U+FFFD) when it is not plain.
func (d *typedDecoder) str(quoted []byte) (string, bool) {
	raw := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw), true
	}
	var s string
	return s, json.Unmarshal(quoted, &s) == nil
}
