package inventory

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var flagSegmentStreams = flag.Int("segment-streams", 300, "random streams TestSegmentsMatchWhole reads in segments and whole")

// readWith reads a file with FromFiles, a YAML stream cut into segments
// whenever it is larger than size, and returns what a caller sees: the
// snapshot as JSON (objects, origins with their lines, warnings) or the
// error.
func readWith(t *testing.T, file string, size int64) string {
	t.Helper()
	saved := segmentSize
	segmentSize = size
	defer func() { segmentSize = saved }()
	snap, err := FromFiles(FileOptions{Paths: []string{file}, AllowEmpty: true})
	if err != nil {
		return "error: " + err.Error()
	}
	out, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// checkSegmented holds the reading of a stream in segments, cut wherever
// segmentsOf may cut (size 1), to the reading of it whole.
func checkSegmented(t *testing.T, name, stream string) int {
	t.Helper()
	file := filepath.Join(t.TempDir(), "stream.yaml")
	if err := os.WriteFile(file, []byte(stream), 0o644); err != nil {
		t.Fatal(err)
	}
	segs := segmentsOf(file, 1)
	whole, cut := readWith(t, file, 1<<40), readWith(t, file, 1)
	if whole != cut {
		t.Errorf("%s (%d segments): read in segments differs from read whole\nwhole: %s\ncut:   %s\nstream:\n%s", name, len(segs), whole, cut, stream)
	}
	return len(segs)
}

// TestSegmentsMatchWhole: every YAML stream of the repo's test files, and
// streams made to exercise the separators (markers with comments, "---#"
// text, empty documents, errors in a later segment, duplicates across
// segments), read in segments as read whole.
func TestSegmentsMatchWhole(t *testing.T) {
	var files []string
	for _, pattern := range []string{"testdata/*.yaml", "testdata/*/*.yaml", "testdata/*/*/*.yaml", "../../test/e2e/testdata/*.yaml", "../report/testdata/*.yaml"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	cut := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if segs := segmentsOf(f, 1); len(segs) > 1 {
			cut++
		}
		checkSegmented(t, f, string(data))
	}
	if cut < 5 {
		t.Errorf("only %d of the %d test files have a place to cut: the test no longer exercises segments", cut, len(files))
	}

	ns := func(name string) string { return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n" }
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: a\n  labels: {app: " + name + "}\nstatus:\n  podIP: 10.0.0.1\n"
	}
	fragments := []string{
		ns("a"), ns("b"), pod("p"), pod("q"), pod("p"), // p twice: a duplicate
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n",
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: a}\nspec: {podSelector: {}}\n",
		"# a comment\n", "\n", "---\n", "---\n", "--- # marker\n", "---#text\n", "...\n", "---\r\n", "  \n",
		"{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"j\"}}\n",
		// A byte order mark counts only at the start of the file; invalid
		// UTF-8 is replaced wherever it is.
		"\ufeffapiVersion: v1\nkind: Namespace\nmetadata:\n  name: bom\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"x\xff\", namespace: a}\n",
	}
	// Lines longer than segmentsOf's 1 MiB read buffer, right after a
	// "---" line: one that starts with "---" (no cut before it) and one
	// that does not.
	long := strings.Repeat("x", 3<<20)
	checkSegmented(t, "long ---# line", ns("a")+"---\n---#"+long+"\n---\n"+ns("b"))
	if n := checkSegmented(t, "long annotation", ns("a")+"---\n"+"apiVersion: v1\nkind: Namespace\nmetadata: {name: c, annotations: {a: "+long+"}}\n"); n != 2 {
		t.Errorf("a stream with a long line after a cut: %d segments, want 2", n)
	}

	bad := []string{"--- junk\n", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [\n", "kind: Pod\n"}
	rng := rand.New(rand.NewPCG(7, 0))
	streams, segmented := *flagSegmentStreams, 0
	for i := 0; i < streams; i++ {
		var b strings.Builder
		n := 2 + rng.IntN(14)
		for k := 0; k < n; k++ {
			if k > 0 && rng.IntN(2) == 0 {
				b.WriteString("---\n") // most documents have a separator between them
			}
			b.WriteString(fragments[rng.IntN(len(fragments))])
		}
		if i%5 == 0 {
			b.WriteString("---\n" + bad[rng.IntN(len(bad))])
			b.WriteString("---\n" + ns("after"))
		}
		stream := b.String()
		if i%7 == 0 {
			stream = strings.TrimSuffix(stream, "\n")
		}
		if checkSegmented(t, fmt.Sprintf("random stream %d", i), stream) > 1 {
			segmented++
		}
	}
	if segmented < streams/2 {
		t.Errorf("only %d of %d random streams were cut", segmented, streams)
	}
}

// TestSegmentsOf: where a stream is cut, and when it is read whole.
func TestSegmentsOf(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	doc := "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
	stream := write("s.yaml", "---\n"+doc+"---\n---\n"+doc+"--- #c\n"+doc+"---\n"+doc)
	segs := segmentsOf(stream, 1)
	// One cut, after the last "---" (line 14): not after the first line,
	// nor after either of two marker lines in a row, nor after "--- #c".
	var got []string
	for _, s := range segs {
		got = append(got, fmt.Sprintf("%d+%d@%d", s.offset, s.length, s.line))
	}
	want := []string{"0+176@1", "176+51@15"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("segments %v, want %v", got, want)
	}
	for name, content := range map[string]string{
		"small":     doc + "---\n" + doc,
		"json":      " {\"kind\": \"List\"}\n---\n" + doc,
		"bom":       "\ufeff" + doc + "---\n" + doc,
		"utf16":     "\xff\xfea\x00\n\x00",
		"no marker": doc + doc,
	} {
		size := int64(1)
		if name == "small" {
			size = 1 << 20
		}
		if segs := segmentsOf(write(name+".yaml", content), size); segs != nil {
			t.Errorf("%s: cut into %d segments, want it read whole", name, len(segs))
		}
	}
	if segs := segmentsOf("-", 1); segs != nil {
		t.Error("stdin was cut")
	}
}
