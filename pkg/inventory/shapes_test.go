package inventory_test

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// TestShapesReadInParts: a generated cluster written in each input shape
// (YAML documents, a List as kubectl get -o yaml and -o json write it, a
// JSON stream) is read in parts to the end, without any part sending its
// file to be read whole, and gives what reading it whole gives; every shape
// gives the same objects.
func TestShapesReadInParts(t *testing.T) {
	snap := gen.Generate(gen.Config{Pods: 400, Seed: 3})
	objs := gen.Objects(snap)
	read := func(path string, size int64) (*inventory.Snapshot, string) {
		defer inventory.SetSegmentSize(size)()
		s, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{path}})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		all, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return s, string(all)
	}
	var want string
	for _, shape := range gen.Shapes {
		path := filepath.Join(t.TempDir(), "cluster."+string(shape))
		if err := gen.WriteFile(path, objs, shape); err != nil {
			t.Fatal(err)
		}
		restore := inventory.SetSegmentSize(16 << 10)
		parts, whole, err := inventory.PartsOf(path)
		restore()
		if err != nil {
			t.Fatal(err)
		}
		if parts < 10 || whole > 0 {
			t.Errorf("%s: %d parts, %d of them read whole; want 10 or more, each read on its own", shape, parts, whole)
		}
		cut, cutAll := read(path, 16<<10)
		_, wholeAll := read(path, 1<<40)
		if cutAll != wholeAll {
			t.Errorf("%s: read in parts differs from read whole", shape)
		}
		objects, err := json.Marshal([]any{cut.Namespaces, cut.Policies, cut.Pods})
		if err != nil {
			t.Fatal(err)
		}
		if len(cut.Pods) != len(snap.Pods) {
			t.Errorf("%s: %d pods, want %d", shape, len(cut.Pods), len(snap.Pods))
		}
		if want == "" {
			want = string(objects)
		} else if string(objects) != want {
			t.Errorf("%s: objects differ from the %s file's", shape, gen.Shapes[0])
		}
	}
}
