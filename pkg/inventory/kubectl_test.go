package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/resource"
)

// kubectlDocuments reads data as kubectl -f does (cli-runtime's FileVisitor
// and StreamVisitor): the byte order mark decoder, then
// yaml.NewYAMLOrJSONDecoder; empty and null documents are skipped. It
// returns each document's JSON and the error that stopped the stream.
func kubectlDocuments(data []byte) ([][]byte, error) {
	r := transform.NewReader(bytes.NewReader(data), unicode.BOMOverride(unicode.UTF8.NewDecoder()))
	d := yaml.NewYAMLOrJSONDecoder(r, 4096)
	var docs [][]byte
	for {
		ext := runtime.RawExtension{}
		if err := d.Decode(&ext); err != nil {
			if err == io.EOF {
				return docs, nil
			}
			return docs, err
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		docs = append(docs, raw)
	}
}

// ourDocuments is the same through normalizeText, splitStream and
// documentJSON (with the fast paths).
func ourDocuments(data []byte) ([][]byte, error) {
	text, err := normalizeText(data)
	if err != nil {
		return nil, err
	}
	split, splitErr := splitStream(text)
	var docs [][]byte
	for _, doc := range split {
		j, err := documentJSON(doc, true)
		if err != nil {
			return docs, err
		}
		raw := bytes.TrimSpace(j.data[j.obj.start:j.obj.end])
		if bytes.Equal(raw, []byte("null")) {
			continue
		}
		docs = append(docs, raw)
	}
	return docs, splitErr
}

// sameJSON compares two JSON texts as values (numbers exactly).
func sameJSON(a, b []byte) bool {
	var x, y any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&x) != nil || db.Decode(&y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// compareWithKubectl fails when the two readers disagree on whether data
// is readable or on the documents it holds.
func compareWithKubectl(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := kubectlDocuments(data)
	got, gotErr := ourDocuments(data)
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("kubectl's decoder: error %v; ours: error %v\ninput: %q", wantErr, gotErr, data)
	}
	if wantErr != nil {
		return // both reject; what was read before the error is not used
	}
	if len(got) != len(want) {
		t.Fatalf("kubectl's decoder read %d documents, ours %d\ninput: %q\nkubectl: %q\nours: %q", len(want), len(got), data, want, got)
	}
	for i := range want {
		if !sameJSON(got[i], want[i]) {
			t.Fatalf("document %d: kubectl's decoder gives %s, ours %s\ninput: %q", i, want[i], got[i], data)
		}
	}
}

func corpus(t testing.TB) []string {
	files, err := filepath.Glob("testdata/kubectl/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus under testdata/kubectl: %v", err)
	}
	return files
}

// TestKubectlDecoderAgrees reads every odd input of the corpus with
// apimachinery's decoder as kubectl uses it and with ours: the same
// documents, or an error from both.
func TestKubectlDecoderAgrees(t *testing.T) {
	for _, f := range corpus(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			compareWithKubectl(t, data)
		})
	}
}

// builderObjects reads a file with cli-runtime's resource builder as
// kubectl apply -f does (without a server), and returns the origin keys of
// the namespaces, pods and NetworkPolicies it holds.
func builderObjects(path string) ([]string, error) {
	infos, err := resource.NewLocalBuilder().Unstructured().
		FilenameParam(false, &resource.FilenameOptions{Filenames: []string{path}}).
		Flatten().Do().Infos()
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, info := range infos {
		gvk := info.Object.GetObjectKind().GroupVersionKind()
		switch {
		case gvk.Group == "" && (gvk.Kind == "Namespace" || gvk.Kind == "Pod"),
			gvk.Group == "networking.k8s.io" && gvk.Kind == "NetworkPolicy":
		default:
			continue
		}
		ns := info.Namespace
		if ns == "" && gvk.Kind != "Namespace" {
			ns = "default"
		}
		keys = append(keys, OriginKey(gvk.Kind, ns, info.Name))
	}
	sort.Strings(keys)
	return keys, nil
}

// builderDifferences are the corpus files where netaudit deliberately
// rejects what the builder reads without a server: kubectl apply would
// fail at the server.
var builderDifferences = map[string]string{
	"removed-version.yaml": "extensions/v1beta1 NetworkPolicy: no server serves it",
}

// TestResourceBuilderAgrees reads the corpus with cli-runtime's resource
// builder and with FromFiles: the same namespaces, pods and policies, or an
// error from both.
func TestResourceBuilderAgrees(t *testing.T) {
	for _, f := range corpus(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want, wantErr := builderObjects(f)
			snap, gotErr := FromFiles(FileOptions{Paths: []string{f}, AllowEmpty: true}) // kubectl apply: "no objects passed to apply"
			if why, ok := builderDifferences[filepath.Base(f)]; ok {
				if gotErr == nil {
					t.Fatalf("read without error; want one (%s)", why)
				}
				return
			}
			if (wantErr != nil) != (gotErr != nil) {
				t.Fatalf("resource builder: error %v; FromFiles: error %v", wantErr, gotErr)
			}
			if gotErr != nil {
				return
			}
			var got []string
			for key := range snap.Origins {
				got = append(got, key)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("resource builder read %q, FromFiles %q", want, got)
			}
		})
	}
}

// TestIssueInputsDecode pins the inputs kubectl reads and that were lost or
// rejected: each must give its objects.
func TestIssueInputsDecode(t *testing.T) {
	for file, want := range map[string][]string{
		"utf16le-bom.yaml":        {"Namespace//u16", "NetworkPolicy/u16/deny", "Pod/u16/web"},
		"utf16be-bom.yaml":        {"Namespace//u16", "NetworkPolicy/u16/deny", "Pod/u16/web"},
		"utf8-bom.yaml":           {"Namespace//u16", "NetworkPolicy/u16/deny", "Pod/u16/web"},
		"json-then-yaml.yaml":     {"Namespace//mixed", "NetworkPolicy/mixed/deny", "Pod/mixed/web"},
		"trailing-separator.yaml": {"Namespace//t", "NetworkPolicy/t/deny"},
		"json-docs.yaml":          {"Namespace//jd", "NetworkPolicy/jd/deny", "Pod/jd/p"},
	} {
		snap, err := FromFiles(FileOptions{Paths: []string{"testdata/kubectl/" + file}})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		var got []string
		for key := range snap.Origins {
			got = append(got, key)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", file, got, want)
		}
	}
}

// TestIssueInputsRejected: a separator line with content after it is an
// error naming the file and the line, as kubectl rejects it (it used to
// drop the rest of the document silently).
func TestIssueInputsRejected(t *testing.T) {
	_, err := FromFiles(FileOptions{Paths: []string{"testdata/kubectl/separator-with-content.yaml"}})
	if err == nil || !strings.Contains(err.Error(), "separator-with-content.yaml: line 5: invalid YAML document separator") {
		t.Fatalf("got %v, want an error at line 5", err)
	}
	_, err = FromFiles(FileOptions{Paths: []string{"testdata/kubectl/removed-version.yaml"}})
	if err == nil || !strings.Contains(err.Error(), "extensions/v1beta1") {
		t.Fatalf("got %v, want an error naming extensions/v1beta1", err)
	}
}

// TestLongLine: a document on one line longer than any scanner buffer
// (bufio.Scanner stopped at 64 MiB) decodes.
func TestLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 65 MiB document")
	}
	big := strings.Repeat("x", 65<<20)
	doc := `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"big","namespace":"l","annotations":{"a":"` + big + `"}}}]}`
	for _, input := range []string{doc, "---\n" + doc + "\n---\n"} {
		snap, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(input)})
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Pods) != 1 || len(snap.Pods[0].Annotations["a"]) != len(big) {
			t.Fatalf("got %d pods", len(snap.Pods))
		}
	}
}

// TestErrorLines: errors name the file, the document and a line counted
// from the start of the file.
func TestErrorLines(t *testing.T) {
	for _, tt := range []struct{ input, want string }{
		{"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n# c\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [\n", "-: document 1 (line 6): invalid YAML: yaml: line 9"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}\n{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"b\"}}\n{\"apiVersion\": 1,,}", "-: line 3: invalid JSON"},
		{"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}},\n{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":5}}]}", "-: document 0 (line 1): items[1] (line 3): decoding v1 Pod"},
	} {
		_, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(tt.input)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want an error containing %q", err, tt.want)
		}
	}
}

// FuzzSplitMatchesKubectl holds the reader to apimachinery's decoder on
// arbitrary input; `make test` runs it for a few seconds.
func FuzzSplitMatchesKubectl(f *testing.F) {
	for _, file := range corpus(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tt := range fastYAMLCases {
		f.Add([]byte(tt.doc))
	}
	f.Add([]byte(`{"a":[1,-2,3.5e1,true,null,"\u00e9\n"]}` + "\n---\n" + `{"b":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithKubectl(t, data)
	})
}

// FuzzJSONScanner holds the JSON scanner to encoding/json, and its
// YAML-safe verdict to sigs.k8s.io/yaml.
func FuzzJSONScanner(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `[1,2]`, `"x\u00e9"`, `{"a":{"b":[true,false,null]}}`, `-0.5e+3`, `{"a":"\/"}`, `{"a":1,"a":2}`, `{"<<":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := data[jsonSpace(data, 0):]
		o, safe, err := scanJSON(v, 0, true)
		valid := err == nil && jsonSpace(v, o.end) == len(v)
		if valid != json.Valid(data) {
			t.Fatalf("scanner says valid=%v (err %v), encoding/json %v: %q", valid, err, json.Valid(data), data)
		}
		if err == nil && !json.Valid(v[:o.end]) {
			t.Fatalf("scanner accepted %q, encoding/json rejects it", v[:o.end])
		}
		var se *jsonSyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("error of type %T", err)
		}
		if valid && safe {
			y, yerr := yaml.ToJSON(append([]byte("---\n"), v[:o.end]...))
			if yerr != nil || !sameJSON(y, v[:o.end]) {
				t.Fatalf("YAML-safe JSON %q reads as %s (%v) in YAML", data, y, yerr)
			}
		}
	})
}
