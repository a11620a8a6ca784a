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

	"sigs.k8s.io/yaml"
)

var flagListStreams = flag.Int("list-streams", 300, "random Lists and JSON streams TestListPartsMatchWhole reads in parts and whole")

// partsRead cuts a file wherever segmentsOf may (size 1) and decodes each
// part as readFiles would: the number of parts, how many of them had to
// send the file to be read whole, and whether the first of those was not
// the file's first part (FromFiles then reads everything again).
func partsRead(t *testing.T, file string) (parts, whole int, again bool) {
	t.Helper()
	segs := segmentsOf(file, 1)
	for i, s := range segs {
		r := decodeSegment(file, s)
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.whole {
			if whole == 0 && i > 0 {
				again = true
			}
			whole++
		}
	}
	return len(segs), whole, again
}

// yamlItem is one item of a YAML List as kubectl writes it, "- " at column
// dash.
func yamlItem(dash int, body string) string {
	pad := strings.Repeat(" ", dash)
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	var b strings.Builder
	for i, l := range lines {
		switch {
		case i == 0:
			b.WriteString(pad + "- " + l + "\n")
		case l == "":
			b.WriteString("\n")
		default:
			b.WriteString(pad + "  " + l + "\n")
		}
	}
	return b.String()
}

// TestListPartsMatchWhole: Lists as kubectl get -o yaml and -o json write
// them, and JSON streams, read cut wherever a cut is allowed and whole:
// the same snapshot (with origins and warnings) or the same error. The
// items mix what reads in parts (plain and not plain YAML, typed lists'
// items without a kind, duplicates across parts) with what must send the
// file to be read whole (an alias to another item's anchor, items that do
// not decode, invalid JSON, repeated keys), early and late.
func TestListPartsMatchWhole(t *testing.T) {
	pod := func(name string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: a\n  labels:\n    app: " + name + "\nstatus:\n  podIP: 10.0.0.1\n"
	}
	many := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many\n  namespace: a\ndata:\n"
	for i := range 70 {
		many += fmt.Sprintf("  k%d: v\n", i)
	}
	good := []string{
		pod("p"), pod("q"), pod("p"), // p twice: identical, read once
		"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n",
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: a\nspec:\n  podSelector: {}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: a\ndata:\n  script: |\n    #!/bin/sh\n    - not an item\n\n    echo done\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u\n  namespace: a\n  annotations:\n    note: \"caf\u00e9 \u2013 ok\"\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f\n  namespace: a\ndata: {x: \"1\", y: \"2\"}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n  namespace: a\ndata:\n  long: a plain scalar\n    that goes on\n",
		"kind: Pod\nmetadata:\n  name: r\n  namespace: a\n", // apiVersion missing: an error
		many,
		"# a comment inside an item\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n",
	}
	// Items that read whole, or fail.
	bad := []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: anchor\n  namespace: a\n  labels: &l {x: y}\n  annotations: *l\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alias\n  namespace: a\n  labels: *l\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\n  labels:\n    app: other\n", // differs from p
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: d\n  name: e\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: n}\n",
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 0))
	lists := *flagListStreams
	cut, inParts, again := 0, 0, 0
	for i := 0; i < lists; i++ {
		n := 2 + rng.IntN(10)
		var items []string
		clean := i%3 != 0
		for range n {
			if !clean && rng.IntN(4) == 0 {
				items = append(items, bad[rng.IntN(len(bad))])
			} else {
				items = append(items, good[rng.IntN(len(good))])
			}
		}
		if clean {
			// "kind: Pod ... no apiVersion" fails; keep clean lists clean.
			for k, it := range items {
				if strings.HasPrefix(it, "kind: Pod") {
					items[k] = pod("s")
				}
			}
		}
		kind := []string{"List", "List", "PodList"}[rng.IntN(3)]
		var file string
		switch i % 2 {
		case 0: // YAML, as kubectl get -o yaml, dash at column 0 or 2
			dash := []int{0, 0, 2}[rng.IntN(3)]
			var b strings.Builder
			if rng.IntN(4) == 0 {
				b.WriteString("# kubectl get -o yaml\n\n")
			}
			b.WriteString("apiVersion: v1\nitems:\n")
			for k, it := range items {
				if rng.IntN(6) == 0 {
					b.WriteString([]string{"\n", "# between items\n", "  # indented comment\n"}[rng.IntN(3)])
				}
				if kind == "PodList" && strings.Contains(it, "kind: Pod\n") && rng.IntN(2) == 0 {
					it = strings.Replace(strings.Replace(it, "apiVersion: v1\n", "", 1), "kind: Pod\n", "", 1)
				}
				_ = k
				b.WriteString(yamlItem(dash, it))
			}
			b.WriteString("kind: " + kind + "\nmetadata:\n  resourceVersion: \"\"\n")
			file = filepath.Join(dir, fmt.Sprintf("list%d.yaml", i))
			if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		default: // JSON, as kubectl get -o json, or a stream of values
			var vals []string
			for _, it := range items {
				j, err := yamlToJSONForTest(it)
				if err != nil || !clean && rng.IntN(8) == 0 {
					j = `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bad",}}` // not JSON
				}
				if !clean && rng.IntN(8) == 0 {
					j = `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dup", "name": "dup2"}}`
				}
				vals = append(vals, j)
			}
			var text string
			if rng.IntN(3) == 0 {
				text = strings.Join(vals, "\n") + "\n"
			} else {
				sep := []string{",\n", ", ", ",\n\n"}[rng.IntN(3)]
				text = "{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n" + strings.Join(vals, sep) + "\n    ],\n    \"kind\": \"" + kind + "\",\n    \"metadata\": {\"resourceVersion\": \"\"}\n}\n"
				if !clean && rng.IntN(8) == 0 {
					text = strings.Replace(text, "\n    ],", ",\n    ],", 1) // a trailing comma
				}
			}
			file = filepath.Join(dir, fmt.Sprintf("list%d.json", i))
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		parts, whole, late := partsRead(t, file)
		if late {
			again++
		}
		if parts > 1 {
			cut++
			if whole == 0 {
				inParts++
			}
		}
		if clean && parts > 1 && whole > 0 {
			data, _ := os.ReadFile(file)
			t.Errorf("%s: %d of %d parts read whole; every item reads on its own:\n%s", file, whole, parts, data)
		}
		whole1, cut1 := readWith(t, file, 1<<40), readWith(t, file, 1)
		if whole1 != cut1 {
			data, _ := os.ReadFile(file)
			t.Errorf("%s (%d parts, %d read whole): read in parts differs from read whole\nwhole: %s\nparts: %s\nfile:\n%s", file, parts, whole, whole1, cut1, data)
		}
	}
	if cut < lists*3/4 || inParts < lists/3 || again < lists/20 {
		t.Errorf("of %d Lists and streams, %d were cut, %d read in parts to the end, %d read again after a late part: the test no longer exercises parts", lists, cut, inParts, again)
	}
}

func yamlToJSONForTest(text string) (string, error) {
	j, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return "", err
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		return "", err
	}
	out, err := json.MarshalIndent(v, "        ", "    ")
	return string(out), err
}

// FuzzPartsMatchWhole: any file, read cut wherever segmentsOf may cut it
// and read whole, gives the same snapshot or the same error. The seeds are
// a List as kubectl get -o yaml and -o json write it, and a JSON and a YAML
// stream.
func FuzzPartsMatchWhole(f *testing.F) {
	ns := func(name string) string { return "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + name + "\n" }
	nsJSON := func(name string) string {
		return `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "` + name + `"}}`
	}
	for _, s := range []string{
		"apiVersion: v1\nitems:\n" + yamlItem(0, ns("a")) + yamlItem(0, ns("b")) + "kind: List\nmetadata:\n  resourceVersion: \"\"\n",
		"apiVersion: v1\nitems:\n" + yamlItem(2, ns("a")) + "  # c\n" + yamlItem(2, ns("b")) + "kind: List\n",
		"{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n" + nsJSON("a") + ",\n" + nsJSON("b") + "\n    ],\n    \"kind\": \"List\"\n}\n",
		nsJSON("a") + "\n" + nsJSON("b") + "\n" + nsJSON("c") + "\n",
		ns("a") + "---\n" + ns("b") + "---\n" + ns("c"),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if whole, cut := readWith(t, file, 1<<40), readWith(t, file, 1); whole != cut {
			t.Fatalf("read in parts differs from read whole\nwhole: %s\nparts: %s\nfile: %q", whole, cut, data)
		}
	})
}

// TestRereadKeepsStdin: when a late part of a List sends FromFiles to read
// everything again (an alias to an anchor of an earlier item: YAML, but
// not readable item by item), standard input, read in the first round, is
// read again from what was kept.
func TestRereadKeepsStdin(t *testing.T) {
	list := "apiVersion: v1\nitems:\n" +
		yamlItem(0, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n") +
		yamlItem(0, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: &l {team: x}\n") +
		yamlItem(0, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: c\n  labels: *l\n") +
		"kind: List\n"
	file := filepath.Join(t.TempDir(), "list.yaml")
	if err := os.WriteFile(file, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	if parts, whole, again := partsRead(t, file); parts < 3 || whole == 0 || !again {
		t.Fatalf("%d parts, %d read whole, read again %v: the List no longer makes FromFiles read again", parts, whole, again)
	}
	saved := segmentSize
	segmentSize = 1
	defer func() { segmentSize = saved }()
	snap, err := FromFiles(FileOptions{Paths: []string{"-", file}, Stdin: strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: from-stdin\n")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ns := range snap.Namespaces {
		names = append(names, ns.Name+"/"+ns.Labels["team"])
	}
	if got := strings.Join(names, " "); got != "a/x b/ c/x from-stdin/" {
		t.Errorf("namespaces %s, want a/x b/ c/x from-stdin/", got)
	}
}
