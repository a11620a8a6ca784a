package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hasDuplicateKey walks a JSON value with encoding/json's tokenizer and
// reports whether an object repeats a key once decoded.
func hasDuplicateKey(t *testing.T, data []byte) bool {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next token of this object is a key
	}
	var stack []*frame
	dup := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return dup
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k := tok.(string)
			if top.keys[k] {
				dup = true
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		if top != nil && top.object {
			top.key = true // this token is the value
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}

// TestScanJSONDuplicateKeys: the scanner finds a repeated key in objects of
// any size (a set past maxListedKeys), nested or not, and counts a key with
// an escape as a repeat, against encoding/json's tokens.
func TestScanJSONDuplicateKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 0))
	var object func(depth int) string
	object = func(depth int) string {
		n := rng.IntN(3 * maxListedKeys)
		var keys []string
		for i := range n {
			keys = append(keys, fmt.Sprintf("%q", fmt.Sprintf("k%d", i)))
		}
		if n > 0 && rng.IntN(3) == 0 { // repeat one key somewhere after it
			i := rng.IntN(n)
			j := i + 1 + rng.IntN(n-i)
			keys = append(keys[:j], append([]string{keys[i]}, keys[j:]...)...)
		}
		if n > 0 && rng.IntN(8) == 0 {
			keys[rng.IntN(len(keys))] = `"k\u0030x"`
		}
		var b strings.Builder
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			v := "1"
			if depth < 2 && rng.IntN(60) == 0 {
				v = object(depth + 1)
			}
			b.WriteString(k + ":" + v)
		}
		b.WriteString("}")
		return b.String()
	}
	dups := 0
	for i := 0; i < 500; i++ {
		data := []byte(object(0))
		o, _, err := scanJSON(data, 0, false)
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		want := hasDuplicateKey(t, data) || bytes.Contains(data, []byte(`\u`))
		if o.dupKeys != want {
			t.Fatalf("dupKeys %v, want %v: %s", o.dupKeys, want, data)
		}
		if want {
			dups++
		}
	}
	if dups < 100 {
		t.Errorf("only %d of 500 objects repeat a key", dups)
	}
}

// TestManyKeys: an object with more keys than are compared one by one is
// read, in JSON and in YAML, and a repeated key keeps its last value, as
// kubectl does. (It once sent the decoder into an endless loop.)
func TestManyKeys(t *testing.T) {
	labels := func(yaml bool, extra string) string {
		var b strings.Builder
		for i := range 100 {
			if yaml {
				fmt.Fprintf(&b, "      l%d: v%d\n", i, i)
			} else {
				fmt.Fprintf(&b, "%q: \"v%d\", ", fmt.Sprintf("l%d", i), i)
			}
		}
		return b.String() + extra
	}
	dir := t.TempDir()
	for name, text := range map[string]string{
		"labels.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\n  labels:\n" + labels(true, "") + "status:\n  podIP: 10.0.0.1\n",
		"labels.json": `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a", "labels": {` + labels(false, `"l7": "last"`) + `}}, "status": {"podIP": "10.0.0.1"}}`,
	} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		snap, err := FromFiles(FileOptions{Paths: []string{file}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(snap.Pods) != 1 || len(snap.Pods[0].Labels) != 100 {
			t.Fatalf("%s: %d pods, want 1 with 100 labels", name, len(snap.Pods))
		}
		want := "v7"
		if strings.HasSuffix(name, ".json") {
			want = "last" // the last of two l7 keys, as kubectl keeps it
		}
		if got := snap.Pods[0].Labels["l7"]; got != want {
			t.Errorf("%s: label l7 = %q, want %q", name, got, want)
		}
	}
}
