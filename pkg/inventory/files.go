package inventory

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"
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
	// LastWins makes the last of several objects of one kind, namespace
	// and name the one read, as kubectl apply leaves it, with a warning;
	// without it such differing duplicates are an error (DuplicateError).
	LastWins bool
	// Kustomize is a kustomization folder, rendered as kubectl apply -k
	// renders it (the kustomize that cli-runtime bundles), instead of Paths.
	Kustomize string
	// AllowEmpty accepts input that holds no objects at all; without it
	// that is an error (ErrEmpty).
	AllowEmpty bool
	// Cache, when set, is shared by several reads (a diff's two sides):
	// files whose bytes it has seen are not decoded again.
	Cache *DecodeCache
}

// DuplicateError is two different objects of one kind, namespace and name
// in the manifests: no cluster holds both, and kubectl apply keeps the last.
type DuplicateError struct {
	Kind, Namespace, Name string
	First, Second         Origin
}

func (e *DuplicateError) Error() string {
	name := e.Name
	if e.Namespace != "" {
		name = e.Namespace + "/" + name
	}
	return fmt.Sprintf("%s %s is defined twice, differently: at %s and at %s; kubectl apply would keep only the last", e.Kind, name, e.First, e.Second)
}

// ErrEmpty is input without a single object.
var ErrEmpty = errors.New("the manifests hold no objects at all")

func (o Origin) String() string { return fmt.Sprintf("%s:%d", o.File, o.Line) }

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
	files, err := expandPaths(opts.Paths, opts.Recursive)
	if err != nil {
		return nil, err
	}
	whole := map[string]bool{}
	for {
		snap, d, err := fromFiles(opts, files, whole)
		var reread *rereadError
		if !errors.As(err, &reread) {
			return snap, err
		}
		// Rare: a part late in a large file could not be read apart
		// from it (a List item that does not decode, say). Read again,
		// that file whole, for what reading it whole gives.
		whole[reread.file] = true
		if d.stdin != nil {
			opts.Stdin = bytes.NewReader(d.stdin)
		}
	}
}

func fromFiles(opts FileOptions, files []string, whole map[string]bool) (*Snapshot, *decoder, error) {
	snap := &Snapshot{Source: Source{Kind: SourceFiles, Namespace: opts.Namespace}, Origins: map[string]Origin{}}
	d := &decoder{snap: snap, namespace: opts.Namespace, skipped: map[string]int{}, lastWins: opts.LastWins, index: map[string]int{}, cache: opts.Cache, whole: whole}
	if opts.Kustomize != "" {
		snap.Source.Files = append(snap.Source.Files, opts.Kustomize)
		if err := d.kustomize(opts.Kustomize); err != nil {
			return nil, d, err
		}
	}
	snap.Source.Files = append(snap.Source.Files, files...)
	if err := d.readFiles(files, opts.Stdin); err != nil {
		return nil, d, err
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
	if d.objects == 0 && !opts.AllowEmpty {
		return nil, d, fmt.Errorf("%s: %w", strings.Join(files, ", "), ErrEmpty)
	}
	if d.identical > 0 {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("%d object(s) defined more than once, identically (%s first): each is read once", d.identical, d.firstIdentical))
	}
	snap.podsFromTemplates(d.workloads)
	if d.outside > 0 {
		snap.Warnings = append(snap.Warnings, fmt.Sprintf("skipped %d pod(s) and policies outside namespace %q", d.outside, opts.Namespace))
	}
	snap.setAsideFinishedPods()
	snap.synthesiseNamespaces()
	snap.noteOutside()
	snap.Sort()
	return snap, d, nil
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
	// objects counts every object read, of any kind.
	objects int
	// index is where each object read so far sits in its slice, by
	// OriginKey, to find duplicates.
	index          map[string]int
	lastWins       bool
	identical      int
	firstIdentical string
	cache          *DecodeCache
	// stdinMu keeps two "-" arguments from reading stdin at once.
	stdinMu sync.Mutex
	// stdin is what was read from standard input, kept for a second read
	// when some file is read in parts (keepStdin), since only then may
	// FromFiles read everything again.
	stdin     []byte
	keepStdin bool
	// whole are files to read whole, not in parts (rereadError).
	whole map[string]bool
}

// document is one YAML document or JSON value of a file.
type document struct {
	index int
	// line is where the object starts (after any comments above it);
	// dataLine is the line of the document's first byte.
	line, dataLine int
	data           []byte
	// json is set for a value of a JSON stream, already scanned into obj.
	json bool
	obj  *jsonObject
	// fallback is the JSON error that kubectl reports if this document,
	// the first one read as YAML after a JSON value, is not YAML either.
	fallback error
}

// readFiles reads, splits and decodes the files a few at a time on every
// core, and adds their objects in the files' order, so that errors,
// warnings and duplicates are those of reading them one by one. Only a
// window of files is held at once, and a large file is read in parts
// (segmentsOf) unless a DecodeCache wants whole files: memory follows the
// objects kept, not the size of the input. A part that must be read in
// its whole file (decodedFile.whole) has the file read whole in its place
// when it is the file's first part, and otherwise ends the read with a
// *rereadError.
func (d *decoder) readFiles(files []string, stdin io.Reader) error {
	var parts []filePart
	for _, f := range files {
		// With a DecodeCache (diff), files are read whole: the cache
		// keeps whole files, by their bytes.
		var segs []segment
		if d.cache == nil && !d.whole[f] {
			segs = segmentsOf(f, segmentSize)
		}
		if len(segs) == 0 {
			parts = append(parts, filePart{file: f, first: true})
		}
		for i := range segs {
			parts = append(parts, filePart{file: f, seg: &segs[i], first: i == 0})
			d.keepStdin = true
		}
	}
	window := goruntime.GOMAXPROCS(0) + 1
	results := make([]chan decodedFile, len(parts))
	for i := range results {
		results[i] = make(chan decodedFile, 1)
	}
	slots := make(chan struct{}, window)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for i, part := range parts {
			select {
			case slots <- struct{}{}:
			case <-done:
				return
			}
			go func() {
				if part.seg != nil {
					results[i] <- decodeSegment(part.file, *part.seg)
				} else {
					results[i] <- d.decodeFile(part.file, stdin)
				}
			}()
		}
	}()
	nextIndex := 0    // of a file's next segment's first document
	skipping := false // the parts of a file that was read whole
	for i, part := range parts {
		r := <-results[i]
		<-slots
		f := part.file
		if part.first {
			skipping = false
		} else if skipping {
			continue
		}
		if r.err != nil {
			return r.err
		}
		if r.whole {
			if !part.first {
				return &rereadError{file: f}
			}
			r, skipping = d.decodeFile(f, stdin), true
			if r.err != nil {
				return r.err
			}
		} else if part.seg != nil && part.seg.list == nil {
			// A segment numbers its documents from 0: they follow the
			// previous segment's.
			if part.first {
				nextIndex = 0
			}
			for k := range r.docs {
				r.docs[k].index += nextIndex
			}
			if n := len(r.docs); n > 0 {
				nextIndex = r.docs[n-1].index + 1
			}
		}
		for k, doc := range r.docs {
			if err := d.addDecoded(f, doc, r.objs[k]); err != nil {
				if part.seg != nil && part.seg.list != nil {
					// Read whole, a List that does not decode fails
					// before any of its items is added: this error is
					// the List's only if the rest of it decodes.
					for j := i + 1; j < len(parts) && !parts[j].first; j++ {
						rj := <-results[j]
						<-slots
						if rj.err != nil {
							return rj.err
						}
						if rj.whole {
							return &rereadError{file: f}
						}
					}
				}
				return fmt.Errorf("%s: document %d (line %d): %w", f, doc.index, doc.line, err)
			}
		}
		if r.splitErr != nil {
			return fmt.Errorf("%s: %w", f, r.splitErr)
		}
	}
	return nil
}

// rereadError ends a read in parts whose later part found that its file
// must be read whole: objects of its earlier parts are in, so FromFiles
// reads everything again with that file whole.
type rereadError struct{ file string }

func (e *rereadError) Error() string { return e.file + ": to be read whole" }

// filePart is a whole file, or a segment of one (seg); first marks a
// file's first part.
type filePart struct {
	file  string
	seg   *segment
	first bool
}

// decodedFile is one file read, split and decoded: err when it could not be
// read; splitErr when its stream breaks off after docs.
type decodedFile struct {
	docs     []document
	objs     []decoded
	splitErr error
	err      error
	// whole: a part that cannot be read apart from its file.
	whole bool
}

// decodeFile reads, splits and decodes one file ("-": stdin); it is safe to
// run for several files at once.
func (d *decoder) decodeFile(file string, stdin io.Reader) decodedFile {
	var data []byte
	var err error
	if file == "-" {
		if stdin == nil {
			return decodedFile{err: errors.New("reading -: no standard input")}
		}
		d.stdinMu.Lock()
		data, err = io.ReadAll(stdin)
		if d.keepStdin && len(data) > 0 {
			d.stdin = data
		}
		d.stdinMu.Unlock()
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return decodedFile{err: fmt.Errorf("reading %s: %w", file, err)}
	}
	text, err := normalizeText(data)
	if err != nil {
		return decodedFile{err: fmt.Errorf("%s: %w", file, err)}
	}
	var key [sha256.Size]byte
	if d.cache != nil {
		key = sha256.Sum256(text)
		if docs, objs, ok := d.cache.get(key); ok {
			return decodedFile{docs: docs, objs: objs}
		}
	}
	docs, splitErr := splitStream(text)
	objs := decodeAll(len(docs), func(i int) decoded { return decodeObject(docs[i]) })
	if d.cache != nil && splitErr == nil {
		d.cache.put(key, docs, objs)
	}
	return decodedFile{docs: docs, objs: objs, splitErr: splitErr}
}

func (d *decoder) addDecoded(file string, doc document, r decoded) error {
	switch {
	case r.err != nil:
		return r.err
	case r.list:
		var lines []int
		for i, item := range r.items {
			itemDoc := doc
			if item.line > 0 {
				itemDoc.line = item.line
			} else {
				if lines == nil {
					lines = itemLines(doc)
				}
				if i < len(lines) {
					itemDoc.line = lines[i] // point findings at the item, not the List
				}
			}
			if err := d.addDecoded(file, itemDoc, item); err != nil {
				return fmt.Errorf("items[%d] (line %d): %w", r.first+i, itemDoc.line, err)
			}
		}
		return nil
	case r.obj == nil && r.kind != "":
		d.objects++
		d.skipped[r.kind]++
		return nil
	case r.obj == nil:
		return nil // an empty document
	}
	return d.add(file, doc, r.obj)
}

func (d *decoder) add(file string, doc document, obj runtime.Object) error {
	d.objects++
	origin := Origin{File: file, Document: doc.index, Line: doc.line}
	switch o := obj.(type) {
	case *corev1.Namespace:
		return addUnique(d, &d.snap.Namespaces, "Namespace", "", o.Name, *o, origin)
	case *corev1.Pod:
		if d.inScope(&o.ObjectMeta) {
			return addUnique(d, &d.snap.Pods, "Pod", o.Namespace, o.Name, *o, origin)
		}
	case *networkingv1.NetworkPolicy:
		// kubectl apply would fail on what the API server rejects: no
		// cluster built from these manifests holds it as written.
		if errs := ValidateNetworkPolicy(o); len(errs) > 0 {
			return &InvalidError{Kind: "NetworkPolicy", Namespace: o.Namespace, Name: o.Name, Errs: errs}
		}
		if d.inScope(&o.ObjectMeta) {
			return addUnique(d, &d.snap.Policies, "NetworkPolicy", o.Namespace, o.Name, *o, origin)
		}
	case *metav1.PartialObjectMetadata: // a policy kind outside the model (outside.go)
		d.addOutside(o)
	case *tierDecoded, *corev1.Node: // tiers.go
		if t, ok := o.(*tierDecoded); ok {
			for _, obj := range t.objs {
				if errs := ValidateTierSchema(obj); len(errs) > 0 {
					kind, name := tierKindName(obj)
					return &InvalidError{Kind: kind, Name: name, Errs: errs}
				}
			}
		}
		d.addTierOrNode(file, doc, o)
	default:
		if kind, m, tmpl, ok := workloadTemplate(obj); ok {
			if d.inScope(&m) {
				tw := templateWorkload{
					w:      Workload{Namespace: m.Namespace, Kind: kind, Name: m.Name},
					meta:   m,
					tmpl:   tmpl,
					origin: origin,
				}
				if owner := metav1.GetControllerOf(&m); owner != nil {
					tw.owner = &Workload{Namespace: m.Namespace, Kind: owner.Kind, Name: owner.Name}
				}
				key := "template:" + OriginKey(kind, m.Namespace, m.Name)
				if i, seen := d.index[key]; seen {
					prev := d.workloads[i]
					if equality.Semantic.DeepEqual(prev.meta, tw.meta) && equality.Semantic.DeepEqual(prev.tmpl, tw.tmpl) {
						d.noteIdentical(kind, m.Namespace, m.Name, prev.origin)
						return nil
					}
					if !d.lastWins {
						return &DuplicateError{Kind: kind, Namespace: m.Namespace, Name: m.Name, First: prev.origin, Second: origin}
					}
					d.warnReplaced(kind, m.Namespace, m.Name, prev.origin, origin)
					d.workloads[i] = tw
					return nil
				}
				d.index[key] = len(d.workloads)
				d.workloads = append(d.workloads, tw)
			}
			return nil
		}
		d.skipped[obj.GetObjectKind().GroupVersionKind().Kind]++
	}
	return nil
}

// addUnique appends obj to list and records its origin, unless an object
// of the same kind, namespace and name was read before: an identical one is
// read once; a different one is an error, or with LastWins replaces it, as
// kubectl apply would leave the cluster.
func addUnique[T any](d *decoder, list *[]T, kind, namespace, name string, obj T, origin Origin) error {
	key := OriginKey(kind, namespace, name)
	i, seen := d.index[key]
	if !seen {
		d.index[key] = len(*list)
		if len(*list) == cap(*list) {
			// Double: append grows a long slice by a quarter, which copies
			// 100,000 pods (1.2 KB each) about five times over.
			*list = slices.Grow(*list, max(len(*list), 64))
		}
		*list = append(*list, obj)
		d.snap.Origins[key] = origin
		return nil
	}
	prev := d.snap.Origins[key]
	if equality.Semantic.DeepEqual((*list)[i], obj) {
		d.noteIdentical(kind, namespace, name, prev)
		return nil
	}
	if !d.lastWins {
		return &DuplicateError{Kind: kind, Namespace: namespace, Name: name, First: prev, Second: origin}
	}
	d.warnReplaced(kind, namespace, name, prev, origin)
	(*list)[i] = obj
	d.snap.Origins[key] = origin
	return nil
}

func (d *decoder) noteIdentical(kind, namespace, name string, first Origin) {
	if d.identical == 0 {
		d.firstIdentical = fmt.Sprintf("%s %s at %s", kind, path.Join(namespace, name), first)
	}
	d.identical++
}

func (d *decoder) warnReplaced(kind, namespace, name string, first, last Origin) {
	d.snap.Warnings = append(d.snap.Warnings, fmt.Sprintf("%s %s is defined twice, differently: the one at %s replaces the one at %s, as kubectl apply would leave it (--allow-duplicates=last)", kind, path.Join(namespace, name), last, first))
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
			out = append(out, doc.dataLine+k)
		case inItems && indent == 0 && !strings.HasPrefix(trimmed, "- "):
			inItems = false // the next top-level key
		}
	}
	return out
}

// kustomize renders a kustomization with cli-runtime's resource builder, as
// kubectl apply -k does, and reads the objects it gives. Their origin is the
// folder (kustomize keeps no line numbers).
func (d *decoder) kustomize(dir string) error {
	infos, err := resource.NewLocalBuilder().Unstructured().
		FilenameParam(false, &resource.FilenameOptions{Kustomize: dir}).
		Flatten().Do().Infos()
	if err != nil {
		return fmt.Errorf("kustomize %s: %w", dir, err)
	}
	for i, info := range infos {
		data, err := json.Marshal(info.Object)
		if err != nil {
			return fmt.Errorf("kustomize %s: object %d: %w", dir, i, err)
		}
		o, _, err := scanJSON(data, 0, false)
		if err != nil {
			return fmt.Errorf("kustomize %s: object %d: %w", dir, i, err)
		}
		if err := d.addDecoded(dir, document{index: i}, decodeScanned(data, o, 0)); err != nil {
			return fmt.Errorf("kustomize %s: object %d (%s %s): %w", dir, i, info.Object.GetObjectKind().GroupVersionKind().Kind, info.Name, err)
		}
	}
	return nil
}
