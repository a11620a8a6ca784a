package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// decoded is one document or list item turned into an object: obj, or kind
// alone for an object of a kind the scheme does not know (skipped), or items
// for a list, or nothing for an empty document.
type decoded struct {
	obj  k8sruntime.Object
	kind string
	err  error
	// line is where the object starts in the file, when known (list items
	// of JSON text); 0 means the document's line.
	line int
	// list is set for a list (an object with an "items" key, as kubectl
	// decides); items are its objects in order.
	list  bool
	items []decoded
	// first is the index in its List of items[0] when items are a part of
	// the List (parts.go).
	first int
}

// decodeObject decodes one document. It is safe to call concurrently. Each
// input shape has its own fast path, all reading what kubectl reads:
//   - JSON text (a JSON stream, or a YAML document that is plain JSON) is
//     validated and dispatched by one scan (jsonscan.go), then decoded
//     straight into the typed object; list items on every core;
//   - plain block YAML is converted to JSON by fastYAMLToJSON;
//   - anything else goes through sigs.k8s.io/yaml, as kubectl does.
func decodeObject(doc document) decoded {
	j, err := documentJSON(doc, true)
	if err != nil {
		return decoded{err: err}
	}
	r := decodeScanned(j.data, j.obj, j.firstLine)
	if j.fastYAML && (r.err != nil || hasItemError(r)) {
		// Errors name the first bad field; sigs.k8s.io/yaml orders keys
		// differently, so let it say which, as it always has.
		if j, err = documentJSON(doc, false); err != nil {
			return decoded{err: err}
		}
		r = decodeScanned(j.data, j.obj, j.firstLine)
	}
	return r
}

// docJSON is a document as JSON, scanned.
type docJSON struct {
	data []byte
	obj  jsonObject
	// firstLine is the line of the file data starts at, or 0 when data was
	// converted from YAML.
	firstLine int
	fastYAML  bool
}

// documentJSON is the JSON kubectl's decoder makes of a document: the text
// itself for JSON, else what sigs.k8s.io/yaml converts it to (through the
// fast paths when fast is set, which give the same value).
func documentJSON(doc document, fast bool) (docJSON, error) {
	if doc.json {
		return docJSON{data: doc.data, obj: *doc.obj, firstLine: doc.dataLine}, nil
	}
	if fast {
		// A YAML document that is JSON which YAML reads as the same value.
		if t := bytes.TrimLeft(doc.data, " \n"); len(t) > 0 && t[0] == '{' {
			o, safe, err := scanJSON(doc.data, len(doc.data)-len(t), true)
			if err == nil && safe && len(bytes.Trim(doc.data[o.end:], " \n")) == 0 {
				return docJSON{data: doc.data, obj: o, firstLine: doc.dataLine}, nil
			}
		}
		if data, ok := fastYAMLToJSON(doc.data); ok {
			if o, _, err := scanJSON(data, 0, false); err == nil {
				return docJSON{data: data, obj: o, fastYAML: true}, nil
			}
		}
	}
	data, err := yaml.YAMLToJSON(doc.data)
	if err != nil {
		if doc.fallback != nil {
			// kubectl read the text before this document as JSON and
			// says what was wrong with it.
			return docJSON{}, doc.fallback
		}
		return docJSON{}, fmt.Errorf("invalid YAML: %s", fileLines(err.Error(), doc.dataLine))
	}
	o, _, err := scanJSON(data, 0, false)
	if err != nil {
		return docJSON{}, fmt.Errorf("invalid YAML: %w", err)
	}
	return docJSON{data: data, obj: o}, nil
}

func hasItemError(r decoded) bool {
	for _, it := range r.items {
		if it.err != nil || hasItemError(it) {
			return true
		}
	}
	return false
}

var yamlLineRE = regexp.MustCompile(`\bline (\d+)\b`)

// fileLines turns sigs.k8s.io/yaml's "line N" (counted in the document)
// into a line of the file, given the line the document starts at.
func fileLines(msg string, docLine int) string {
	return yamlLineRE.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(m[len("line "):])
		if err != nil {
			return m
		}
		return fmt.Sprintf("line %d", n+docLine-1)
	})
}

// decodeScanned decodes the scanned JSON value o of data. firstLine is the
// line of the file data starts at, or 0 when data is JSON converted from
// YAML (offsets say nothing about lines then).
func decodeScanned(data []byte, o jsonObject, firstLine int) decoded {
	if !o.object {
		v := data[o.start:o.end]
		if bytes.Equal(v, []byte("null")) {
			return decoded{} // an empty document, as kubectl skips it
		}
		return decoded{err: fmt.Errorf("not a Kubernetes object: a JSON %s where an object belongs", jsonKind(v[0]))}
	}
	if o.dupKeys {
		// Keep the last of repeated keys, as kubectl's decoder does.
		var v any
		dec := json.NewDecoder(bytes.NewReader(data[o.start:o.end]))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return decoded{err: err}
		}
		norm, err := json.Marshal(v)
		if err != nil {
			return decoded{err: err}
		}
		n, _, err := scanJSON(norm, 0, false)
		if err != nil {
			return decoded{err: err}
		}
		n.dupKeys = false // keys from a map: each once
		return decodeScanned(norm, n, 0)
	}
	if o.hasItems {
		if o.itemsErr != "" {
			return decoded{err: fmt.Errorf("not a Kubernetes object: %s", o.itemsErr)}
		}
		if o.kind == "" {
			return decoded{err: fmt.Errorf("not a Kubernetes object: a list needs a kind")}
		}
		lines := make([]int, len(o.items))
		if firstLine > 0 {
			off, line := 0, firstLine
			for i, it := range o.items {
				line += bytes.Count(data[off:it.start], []byte("\n"))
				off, lines[i] = it.start, line
			}
		}
		items := decodeAll(len(o.items), func(i int) decoded {
			return decodeItem(data, o.items[i], lines[i], o.kind, o.apiVersion)
		})
		return decoded{list: true, items: items}
	}
	tm := metav1.TypeMeta{APIVersion: o.apiVersion, Kind: o.kind}
	if tm.Kind == "" || tm.APIVersion == "" {
		return decoded{err: fmt.Errorf("not a Kubernetes object: apiVersion and kind are required")}
	}
	if err := removedVersion(tm); err != nil {
		return decoded{err: err}
	}
	obj, err := decodeTyped(data[o.start:o.end], tm)
	if k8sruntime.IsNotRegisteredError(err) {
		return decoded{kind: tm.Kind}
	}
	if err != nil {
		return decoded{err: fmt.Errorf("decoding %s %s: %w", tm.APIVersion, tm.Kind, err)}
	}
	return decoded{obj: obj}
}

// decodeItem decodes the item it of a list of kind listKind; line is where
// the item starts in the file, or 0.
func decodeItem(data []byte, it jsonObject, line int, listKind, listAPIVersion string) decoded {
	if it.items != nil {
		return decoded{err: fmt.Errorf("a list inside a list: kubectl does not read it; move its items up")}
	}
	it.hasItems = false // items: null in an item is just a field
	// An item without apiVersion and kind (a typed list's, such as a
	// PodList) takes them from the list, as kubectl's decoder does.
	if it.kind == "" && it.apiVersion == "" {
		it.kind, it.apiVersion = strings.TrimSuffix(listKind, "List"), listAPIVersion
	}
	r := decodeScanned(data, it, line)
	r.line = line
	return r
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

// removedVersion rejects NetworkPolicy in API versions that no server
// serves any more, which would otherwise be skipped as another kind.
func removedVersion(tm metav1.TypeMeta) error {
	if tm.Kind != "NetworkPolicy" {
		return nil
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return nil
	}
	switch {
	case gv.Group == "extensions":
		return fmt.Errorf("NetworkPolicy in apiVersion %s is not served since Kubernetes 1.16 (kubectl apply fails with \"no matches for kind\"); change it to networking.k8s.io/v1", tm.APIVersion)
	case gv.Group == "networking.k8s.io" && gv.Version != "v1":
		return fmt.Errorf("NetworkPolicy in apiVersion %s does not exist; change it to networking.k8s.io/v1", tm.APIVersion)
	}
	return nil
}

// decodeTyped decodes JSON whose apiVersion and kind are known. For a kind
// the scheme has, it does what the universal deserializer does (create the
// type, then a case-sensitive unmarshal that keeps integers) without reading
// apiVersion and kind a second time; anything else goes through the
// deserializer itself, so errors read the same.
func decodeTyped(data []byte, tm metav1.TypeMeta) (k8sruntime.Object, error) {
	if _, ok := outsideKind(tm.APIVersion, tm.Kind); ok {
		return decodeOutside(data, tm)
	}
	if obj, ok, err := decodeTier(data, tm); ok { // tiers.go
		return obj, err
	}
	if gv, err := schema.ParseGroupVersion(tm.APIVersion); err == nil && gv.Version != "" {
		if obj, err := scheme.Scheme.New(gv.WithKind(tm.Kind)); err == nil {
			if fastUnmarshal(data, obj) { // typedjson.go
				obj.GetObjectKind().SetGroupVersionKind(gv.WithKind(tm.Kind))
				return obj, nil
			}
			obj, _ = scheme.Scheme.New(gv.WithKind(tm.Kind))
			if err := kjson.UnmarshalCaseSensitivePreserveInts(data, obj); err != nil {
				return nil, err
			}
			obj.GetObjectKind().SetGroupVersionKind(gv.WithKind(tm.Kind))
			return obj, nil
		}
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	return obj, err
}

// decodeAll runs decode on every item, on every core, and returns the
// results in order. Decoding dominates reading manifests; the order in which
// objects are added, and so errors and warnings, stay those of the files.
func decodeAll[T any](n int, decode func(i int) T) []T {
	out := make([]T, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range out {
			out[i] = decode(i)
		}
		return out
	}
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= n {
					return
				}
				out[k] = decode(k)
			}
		}()
	}
	wg.Wait()
	return out
}
