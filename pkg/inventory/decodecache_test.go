package inventory

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDecodeCache: a diff reads the same bytes from two folders (a pull
// request's target branch and head). The second read comes from the cache
// and gives the same snapshot with its own paths, and its objects are its
// own: changing one snapshot's labels leaves the other's alone.
func TestDecodeCache(t *testing.T) {
	files := []string{"testdata/multi.yaml", "testdata/list.yaml", "testdata/stream.json", "testdata/tiers.yaml"}
	base, head := t.TempDir(), t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{base, head} {
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	plain, err := FromFiles(FileOptions{Paths: []string{head}})
	if err != nil {
		t.Fatal(err)
	}
	cache := NewDecodeCache()
	first, err := FromFiles(FileOptions{Paths: []string{base}, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if cache.Hits != 0 {
		t.Fatalf("the first read hit the cache %d times", cache.Hits)
	}
	second, err := FromFiles(FileOptions{Paths: []string{head}, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if cache.Hits != len(files) {
		t.Errorf("the second read hit the cache %d times, want %d (one per file)", cache.Hits, len(files))
	}
	if !reflect.DeepEqual(second, plain) {
		t.Errorf("the snapshot read through the cache differs from the one read without it")
	}
	for key, o := range second.Origins {
		if !strings.HasPrefix(o.File, head) {
			t.Errorf("%s: origin %s is not in the folder read", key, o)
		}
	}
	if len(first.Pods) == 0 || len(second.Pods) == 0 {
		t.Fatal("the fixtures hold no pods")
	}
	first.Pods[0].Labels["changed"] = "yes"
	if _, ok := second.Pods[0].Labels["changed"]; ok {
		t.Error("the two snapshots share a pod's labels")
	}
}

// A file that fails to decode is not cached: the second read fails the
// same way, naming its own path.
func TestDecodeCacheSkipsErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: [x]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := NewDecodeCache()
	for range 2 {
		if _, err := FromFiles(FileOptions{Paths: []string{path}, Cache: cache}); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("got %v, want an error naming %s", err, path)
		}
	}
	if cache.Hits != 0 {
		t.Errorf("a failed file was served from the cache")
	}
}

// With Expect, only the contents the later read repeats are kept.
func TestDecodeCacheExpect(t *testing.T) {
	base, head := t.TempDir(), t.TempDir()
	write := func(dir, name, from string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(base, "a.yaml", "testdata/multi.yaml")
	write(head, "a.yaml", "testdata/multi.yaml")
	write(base, "b.yaml", "testdata/list.yaml") // changed by the pull request:
	write(head, "b.yaml", "testdata/tiers.yaml")
	cache := NewDecodeCache()
	if err := cache.Expect([]string{head}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := FromFiles(FileOptions{Paths: []string{base}, Cache: cache}); err != nil {
		t.Fatal(err)
	}
	if len(cache.files) != 1 {
		t.Errorf("the cache keeps %d files, want 1 (the one both sides hold)", len(cache.files))
	}
	got, err := FromFiles(FileOptions{Paths: []string{head}, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	want, err := FromFiles(FileOptions{Paths: []string{head}})
	if err != nil {
		t.Fatal(err)
	}
	if cache.Hits != 1 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d hits, same snapshot as without the cache: %v; want 1 hit and the same", cache.Hits, reflect.DeepEqual(got, want))
	}
}
