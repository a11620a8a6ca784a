package inventory

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
)

// DecodeCache keeps what files decoded to, by their bytes, so that reading
// the same bytes again skips decoding: the two sides of a diff (a pull
// request's target branch and head) hold mostly the same files. Objects
// leave the cache as deep copies, so two snapshots never share one. Only
// files that decoded without an error are kept. Safe for concurrent use.
type DecodeCache struct {
	mu    sync.Mutex
	files map[[sha256.Size]byte]cachedFile
	// want, once Expect has been called, are the only contents kept: those
	// of the files a later read will ask for.
	want map[[sha256.Size]byte]bool
	// Hits counts the files read from the cache.
	Hits int
}

type cachedFile struct {
	docs []document
	objs []decoded
}

// NewDecodeCache returns an empty cache.
func NewDecodeCache() *DecodeCache {
	return &DecodeCache{files: map[[sha256.Size]byte]cachedFile{}}
}

// Expect reads the files that paths name (folders as -f reads them, with
// recursive as -R) and keeps from then on only contents that one of them
// holds, so that a read before the one of paths copies into the cache only
// what that read will use.
func (c *DecodeCache) Expect(paths []string, recursive bool) error {
	files, err := expandPaths(paths, recursive)
	if err != nil {
		return err
	}
	want := map[[sha256.Size]byte]bool{}
	for _, f := range files {
		if f == "-" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("reading %s: %w", f, err)
		}
		text, err := normalizeText(data)
		if err != nil {
			continue // the read itself reports it
		}
		want[sha256.Sum256(text)] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.want = want
	return nil
}

// wanted says whether contents with this key are worth keeping.
func (c *DecodeCache) wanted(key [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.want == nil || c.want[key]
}

func (c *DecodeCache) get(key [sha256.Size]byte) ([]document, []decoded, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.files[key]
	if !ok {
		return nil, nil, false
	}
	c.Hits++
	return f.docs, copyDecoded(f.objs), true
}

func (c *DecodeCache) put(key [sha256.Size]byte, docs []document, objs []decoded) {
	for _, o := range objs {
		if failed(o) {
			return
		}
	}
	if !c.wanted(key) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[key] = cachedFile{docs: docs, objs: copyDecoded(objs)}
}

func failed(o decoded) bool {
	if o.err != nil {
		return true
	}
	for _, item := range o.items {
		if failed(item) {
			return true
		}
	}
	return false
}

// copyDecoded deep-copies decoded objects, list items included.
func copyDecoded(objs []decoded) []decoded {
	out := make([]decoded, len(objs))
	for i, o := range objs {
		out[i] = o
		if o.obj != nil {
			out[i].obj = o.obj.DeepCopyObject()
		}
		if o.items != nil {
			out[i].items = copyDecoded(o.items)
		}
	}
	return out
}
