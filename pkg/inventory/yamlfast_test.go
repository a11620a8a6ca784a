package inventory

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// fastYAMLCases are documents the fast path must convert, or leave to
// sigs.k8s.io/yaml, without ever disagreeing with it.
var fastYAMLCases = []struct {
	name string
	doc  string
	fast bool // the fast path takes it
}{
	{"kubectl style", `apiVersion: v1
kind: Pod
metadata:
  labels:
    app: web
    pod-template-hash: 5d4f8c
  name: web-1 # a comment
  namespace: prod
spec:
  containers:
  - image: nginx:1.27
    name: web
    ports:
    - containerPort: 8080
      name: http
      protocol: TCP
  hostNetwork: false
status:
  podIP: 10.0.0.5
  podIPs:
  - ip: 10.0.0.5
`, true},
	{"quoted and special words", `a: "true"
b: 'it''s'
c: yes
d: off
e: ~
f: null
g:
h: {}
i: []
j: "123"
k: 0
l: "2026-01-15T09:00:00Z"
`, true},
	{"indented sequence", `items:
  - a
  -   b
  - name: c
    x: 1
top: 2
`, true},
	{"comments and blank lines", `# leading

a: 1

  # indented comment
b:
  # inside
  c: d
`, true},
	{"octal", "a: 0755\n", false},
	{"float", "a: 1.5\n", false},
	{"negative", "a: -1\n", false},
	{"leading zero", "a: 0x\n", false},
	{"anchor", "a: &x 1\nb: *x\n", false},
	{"merge", "a: {x: 1}\nb:\n  <<: {y: 2}\n", false},
	{"block scalar", "a: |\n  line\n", false},
	{"folded plain", "a: one\n  two\n", false},
	{"flow map", "a: {b: c}\n", false},
	{"escape", `a: "tab\there"` + "\n", false},
	{"bool key", "on: x\n", false},
	{"numeric key", "80: x\n", false},
	{"duplicate key", "a: 1\na: 2\n", false},
	{"duplicate map", "labels:\n  a: x\nlabels:\n  b: y\n", false},
	{"tab", "a:\tb\n", false},
	{"unicode", "a: café\n", false},
	{"crlf", "a: b\r\n", false},
	{"top sequence", "- a\n", false},
	{"scalar doc", "hello\n", false},
	{"bad indent", "a:\n  b: 1\n c: 2\n", false},
	{"quote then text", `a: "x" y` + "\n", false},
	{"colon in value", "a: b: c\n", false},
	{"url value", "a: http://example.com:8080/x\nb: a[0]\n", true},
	{"dash item alone", "a:\n-\n  b: 1\n", false},
	{"nested sequence", "a:\n- - b\n", false},
	{"key with slash", "metadata:\n  annotations:\n    example.com/owner: team-a\n", true},
	{"tilde", "a: ~x\n", false},
	{"sign", "a: +1\n", false},
	{"long number", "a: 12345678901234567890\n", false},
	{"addresses and quantities", "ip: 10.0.0.5\ncidr: 10.0.0.0/8\nmem: 128Mi\ncpu: 100m\nv: 1.2.3\n", true},
	{"hex", "a: 0x1F\n", false},
	{"binary", "a: 0b101\n", false},
	{"exponent", "a: 12e3\n", false},
	{"underscore", "a: 1_000\n", false},
	{"sexagesimal", "a: 1:30\n", false},
	{"del", "a: b\x7f\n", false},
	{"uid and dates", "uid: 00000000-0000-4000-8000-000000000001\nu2: 5e0a1b2c-9d8e-4f00-a000-00000000000e\nd: 2026-01-15\n", true},
	{"long key", "a: 1\n" + strings.Repeat("k", 1100) + ": 2\n", false},
	{"floats", "a: 1.\nb: 1e5\nc: 1.5e-3\n", false},
	{"float-ish strings", "a: 1e\nb: 1.2.3e4\nc: 1ex\n", true},
}

func TestFastYAMLCases(t *testing.T) {
	for _, tt := range fastYAMLCases {
		t.Run(tt.name, func(t *testing.T) {
			_, ok := fastYAMLToJSON([]byte(tt.doc))
			if ok != tt.fast {
				t.Errorf("fast path took it: got %v, want %v", ok, tt.fast)
			}
			checkFastYAML(t, []byte(tt.doc))
		})
	}
}

// TestFastYAMLMatchesSigsYAML converts every YAML document under the repo's
// testdata folders both ways.
func TestFastYAMLMatchesSigsYAML(t *testing.T) {
	docs := repoTestDocuments(t, "testdata/*.yml", "testdata/*/*.yml")
	taken := 0
	for _, d := range docs {
		if _, ok := fastYAMLToJSON(d.data); ok {
			taken++
		}
		checkFastYAML(t, d.data)
	}
	if taken == 0 {
		t.Errorf("the fast path took none of the %d documents", len(docs))
	}
}

// repoTestDocuments splits the YAML files of the repo's testdata folders,
// and the files matching extra, into documents; files that do not split are
// left out.
func repoTestDocuments(t *testing.T, extra ...string) []document {
	t.Helper()
	var files []string
	for _, pattern := range append([]string{"testdata/*.yaml", "testdata/*/*.yaml", "testdata/*/*/*.yaml",
		"../../test/e2e/testdata/*.yaml", "../report/testdata/*.yaml"}, extra...) {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no test files found")
	}
	var docs []document
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := splitStream(data); err == nil {
			docs = append(docs, d...)
		}
	}
	return docs
}

// checkFastYAML fails when the fast path accepts a document and decodes to
// anything but what sigs.k8s.io/yaml gives.
func checkFastYAML(t *testing.T, doc []byte) {
	t.Helper()
	fast, ok := fastYAMLToJSON(doc)
	if !ok {
		return
	}
	slow, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("fast path accepted what sigs.k8s.io/yaml rejects (%v):\n%s", err, doc)
	}
	var a, b any
	if err := json.Unmarshal(fast, &a); err != nil {
		t.Fatalf("fast path wrote invalid JSON (%v): %s\nfrom:\n%s", err, fast, doc)
	}
	if err := json.Unmarshal(slow, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("fast path: %s\nsigs.k8s.io/yaml: %s\nfrom:\n%s", fast, slow, doc)
	}
}

func FuzzFastYAML(f *testing.F) {
	for _, tt := range fastYAMLCases {
		f.Add([]byte(tt.doc))
	}
	f.Add([]byte("a:\n- b: 'c'\n  d: \"e\"\n- f\ng: h # i\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if bytes.Contains(doc, []byte("\n---")) || strings.HasPrefix(string(doc), "---") {
			return // documents are split before
		}
		checkFastYAML(t, doc)
	})
}
