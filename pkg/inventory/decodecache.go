package inventory

import (
	"crypto/sha256"
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
