package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// FileOptions say which manifests to read.
type FileOptions struct {
	// Paths are files, folders or "-" for Stdin.
	Paths     []string
	Recursive bool
	// Namespace, when set, is given to objects that have none and limits
	// pods and policies to it, as -n does for a cluster.
	Namespace string
	Stdin     io.Reader
}

// manifestExtensions are the files a folder contributes, as kubectl -f reads them.
var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// FromFiles reads namespaces, pods and NetworkPolicies from manifests:
// multi-document YAML, JSON (one object or a stream), kind: List as
// `kubectl get -o yaml` writes it, and typed lists. Documents are decoded as
// kubectl decodes them (sigs.k8s.io/yaml, so YAML 1.1: an unquoted
// `namespace: y` is a boolean and fails). Objects of other kinds are skipped
// and counted in a warning; a malformed document is an error naming the file
// and the document's index and line.
func FromFiles(opts FileOptions) (*Snapshot, error) {
	snap := &Snapshot{Source: Source{Kind: SourceFiles, Namespace: opts.Namespace}, Origins: map[string]Origin{}}
	files, err := expandPaths(opts.Paths, opts.Recursive)
	if err != nil {
		return nil, err
	}
	d := &decoder{snap: snap, namespace: opts.Namespace, skipped: map[string]int{}}
	for _, f := range files {
		snap.Source.Files = append(snap.Source.Files, f)
		var data []byte
		if f == "-" {
			if opts.Stdin == nil {
				return nil, errors.New("reading -: no standard input")
			}
			data, err = io.ReadAll(opts.Stdin)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		if err := d.decodeFile(f, data); err != nil {
			return nil, err
		}
	}
	if len(d.skipped) > 0 {
		var kinds []string
		total := 0
		for k, n := range d.skipped {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
			total += n
		}
		sort.Strings(kinds)
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("skipped %d object(s) of other kinds: %s", total, strings.Join(kinds, ", ")))
	}
	snap.podsFromTemplates(d.workloads)
	if d.outside > 0 {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("skipped %d pod(s) and policies outside namespace %q", d.outside, opts.Namespace))
	}
	snap.synthesiseNamespaces()
	snap.noteOutside()
	snap.Sort()
	return snap, nil
}

// expandPaths turns -f arguments into files in a stable order; folders give
// their manifest files (recursively with -R), as kubectl does.
func expandPaths(paths []string, recursive bool) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, unwrapPathError(err))
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("reading %s: %w", path, unwrapPathError(err))
			}
			if e.IsDir() {
				if path != p && !recursive {
					return filepath.SkipDir
				}
				return nil
			}
			if manifestExtensions[strings.ToLower(filepath.Ext(path))] {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("folder %s holds no .yaml, .yml or .json files%s", p, map[bool]string{false: " (use -R to read sub-folders)", true: ""}[recursive])
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type decoder struct {
	snap      *Snapshot
	namespace string
	skipped   map[string]int
	outside   int
	workloads []templateWorkload
}

// document is one YAML document or JSON value of a file.
type document struct {
	index int
	line  int
	data  []byte
	// json is set for a value of a JSON stream, which needs no YAML pass.
	json bool
}

func (d *decoder) decodeFile(file string, data []byte) error {
	docs, err := splitDocuments(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	objs := decodeAll(len(docs), func(i int) decoded { return decodeObject(docs[i]) })
	for i, doc := range docs {
		if err := d.addDecoded(file, doc, objs[i]); err != nil {
			return fmt.Errorf("%s: document %d (line %d): %w", file, doc.index, doc.line, err)
		}
	}
	return nil
}

// splitDocuments splits a JSON stream or a multi-document YAML file,
// recording where each document starts. Empty documents are dropped but
// still counted, so indexes match what an editor shows between "---" lines.
func splitDocuments(data []byte) ([]document, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		offset := len(data) - len(trimmed)
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		var docs []document
		for i := 0; ; i++ {
			start := offset + int(dec.InputOffset())
			var raw json.RawMessage
			if err := dec.Decode(&raw); err == io.EOF {
				return docs, nil
			} else if err != nil {
				return nil, fmt.Errorf("document %d: invalid JSON: %w", i, err)
			}
			// InputOffset points past the separating whitespace of the previous value.
			for start < len(data) && strings.ContainsRune(" \t\r\n", rune(data[start])) {
				start++
			}
			docs = append(docs, document{index: i, line: 1 + bytes.Count(data[:start], []byte("\n")), data: raw, json: true})
		}
	}

	var docs []document
	var cur bytes.Buffer
	index, start, lineNo := 0, 1, 0
	flush := func() {
		if cur.Len() > 0 {
			docs = append(docs, document{index: index, line: start, data: append([]byte(nil), cur.Bytes()...)})
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if isSeparator(line) {
			if cur.Len() > 0 || lineNo > 1 {
				flush()
				index++
			}
			start = lineNo + 1
			continue
		}
		if t := strings.TrimSpace(line); cur.Len() == 0 && (t == "" || t[0] == '#') {
			start = lineNo + 1 // point at the object, not at the comments above it
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	flush()
	return docs, nil
}

func isSeparator(line string) bool {
	if !strings.HasPrefix(line, "---") {
		return false
	}
	rest := strings.TrimSpace(line[3:])
	return rest == "" || strings.HasPrefix(rest, "#")
}

func (d *decoder) addDecoded(file string, doc document, r decoded) error {
	switch {
	case r.err != nil:
		return r.err
	case r.obj == nil && r.kind != "":
		d.skipped[r.kind]++
		return nil
	case r.obj == nil:
		return nil // an empty document
	}
	return d.add(file, doc, r.obj)
}

func (d *decoder) add(file string, doc document, obj runtime.Object) error {
	switch o := obj.(type) {
	case *corev1.Namespace:
		d.snap.Namespaces = append(d.snap.Namespaces, *o)
		d.snap.Origins[OriginKey("Namespace", "", o.Name)] = Origin{File: file, Document: doc.index, Line: doc.line}
	case *corev1.Pod:
		if d.inScope(&o.ObjectMeta) {
			d.snap.Pods = append(d.snap.Pods, *o)
			d.snap.Origins[OriginKey("Pod", o.Namespace, o.Name)] = Origin{File: file, Document: doc.index, Line: doc.line}
		}
	case *networkingv1.NetworkPolicy:
		if d.inScope(&o.ObjectMeta) {
			d.snap.Policies = append(d.snap.Policies, *o)
			d.snap.Origins[OriginKey("NetworkPolicy", o.Namespace, o.Name)] = Origin{File: file, Document: doc.index, Line: doc.line}
		}
	case *metav1.PartialObjectMetadata: // a policy kind outside the model (outside.go)
		d.addOutside(o)
	case *tierDecoded, *corev1.Node: // tiers.go
		d.addTierOrNode(file, doc, o)
	case *corev1.List, *metav1.List:
		// kind: List holds raw items of any kind.
		items, err := meta.ExtractList(o)
		if err != nil {
			return err
		}
		// `kubectl get -A -o json` writes every pod into one List: decode
		// its items on every core.
		type itemResult struct {
			obj     runtime.Object
			skipped string // the kind of an item of an unknown kind
			err     error
		}
		results := decodeAll(len(items), func(i int) itemResult {
			u, ok := items[i].(*runtime.Unknown)
			if !ok {
				return itemResult{obj: items[i]}
			}
			var tm metav1.TypeMeta
			_ = json.Unmarshal(u.Raw, &tm)
			var inner runtime.Object
			var err error
			if tm.Kind != "" && tm.APIVersion != "" {
				inner, err = decodeTyped(u.Raw, tm)
			} else {
				inner, _, err = scheme.Codecs.UniversalDeserializer().Decode(u.Raw, nil, nil)
			}
			if runtime.IsNotRegisteredError(err) {
				return itemResult{skipped: tm.Kind}
			}
			return itemResult{obj: inner, err: err}
		})
		lines := itemLines(doc)
		for i, r := range results {
			if r.err != nil {
				return fmt.Errorf("items[%d]: %w", i, r.err)
			}
			item := r.obj
			if item == nil {
				d.skipped[r.skipped]++
				continue
			}
			itemDoc := doc
			if i < len(lines) {
				itemDoc.line = lines[i] // point findings at the item, not the List
			}
			if err := d.add(file, itemDoc, item); err != nil {
				return fmt.Errorf("items[%d]: %w", i, err)
			}
		}
	default:
		if kind, m, tmpl, ok := workloadTemplate(obj); ok {
			if d.inScope(&m) {
				tw := templateWorkload{
					w:      Workload{Namespace: m.Namespace, Kind: kind, Name: m.Name},
					meta:   m,
					tmpl:   tmpl,
					origin: Origin{File: file, Document: doc.index, Line: doc.line},
				}
				if owner := metav1.GetControllerOf(&m); owner != nil {
					tw.owner = &Workload{Namespace: m.Namespace, Kind: owner.Kind, Name: owner.Name}
				}
				d.workloads = append(d.workloads, tw)
			}
			return nil
		}
		if meta.IsListType(obj) { // PodList, NetworkPolicyList, ...
			items, err := meta.ExtractList(obj)
			if err != nil {
				return err
			}
			for i, item := range items {
				if err := d.add(file, doc, item); err != nil {
					return fmt.Errorf("items[%d]: %w", i, err)
				}
			}
			return nil
		}
		d.skipped[obj.GetObjectKind().GroupVersionKind().Kind]++
	}
	return nil
}

// inScope defaults an empty namespace as kubectl apply would and reports
// whether the object is inside the -n scope.
func (d *decoder) inScope(m *metav1.ObjectMeta) bool {
	if m.Namespace == "" {
		m.Namespace = d.namespace
		if m.Namespace == "" {
			m.Namespace = metav1.NamespaceDefault
		}
	}
	if d.namespace != "" && m.Namespace != d.namespace {
		d.outside++
		return false
	}
	return true
}

// itemLines returns the line where each item of a YAML kind: List starts,
// as kubectl writes it ("items:" at the left margin, then "- " entries),
// or nil when the document is not laid out that way (JSON, flow style).
func itemLines(doc document) []int {
	if doc.json {
		return nil
	}
	var out []int
	inItems, dash := false, -1
	for k, line := range strings.Split(string(doc.data), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case indent == 0 && strings.HasPrefix(trimmed, "items:"):
			inItems = strings.TrimSpace(strings.TrimPrefix(trimmed, "items:")) == ""
		case inItems && strings.HasPrefix(trimmed, "- ") && (dash < 0 || indent == dash):
			dash = indent
			out = append(out, doc.line+k)
		case inItems && indent == 0 && !strings.HasPrefix(trimmed, "- "):
			inItems = false // the next top-level key
		}
	}
	return out
}
