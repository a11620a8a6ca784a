package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// decoded is one document turned into an object: obj, or kind alone for an
// object of a kind the scheme does not know (skipped), or neither for an
// empty document.
type decoded struct {
	obj  k8sruntime.Object
	kind string
	err  error
}

// decodeObject decodes one document. It is safe to call concurrently.
func decodeObject(doc document) decoded {
	if !doc.json {
		if data, ok := fastYAMLToJSON(doc.data); ok {
			if r := decodeJSON(data); r.err == nil {
				return r
			}
			// Errors name the first bad field; sigs.k8s.io/yaml orders
			// keys differently, so let it say which, as it always has.
		}
		data, err := yaml.YAMLToJSON(doc.data)
		if err != nil {
			return decoded{err: fmt.Errorf("invalid YAML: %w", err)}
		}
		return decodeJSON(data)
	}
	// JSON is decoded as is, as kubectl's YAMLOrJSONDecoder does: a YAML
	// pass would only convert it to itself, at several times the cost.
	return decodeJSON(doc.data)
}

func decodeJSON(jsonData []byte) decoded {
	if bytes.Equal(bytes.TrimSpace(jsonData), []byte("null")) {
		return decoded{}
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(jsonData, &tm); err != nil {
		return decoded{err: fmt.Errorf("not a Kubernetes object: %w", err)}
	}
	if tm.Kind == "" || tm.APIVersion == "" {
		return decoded{err: fmt.Errorf("not a Kubernetes object: apiVersion and kind are required")}
	}
	obj, err := decodeTyped(jsonData, tm)
	if k8sruntime.IsNotRegisteredError(err) {
		return decoded{kind: tm.Kind}
	}
	if err != nil {
		return decoded{err: fmt.Errorf("decoding %s %s: %w", tm.APIVersion, tm.Kind, err)}
	}
	return decoded{obj: obj}
}

// decodeTyped decodes JSON whose apiVersion and kind are known. For a kind
// the scheme has, it does what the universal deserializer does (create the
// type, then a case-sensitive unmarshal that keeps integers) without reading
// apiVersion and kind a second time; anything else goes through the
// deserializer itself, so errors read the same.
func decodeTyped(data []byte, tm metav1.TypeMeta) (k8sruntime.Object, error) {
	if _, ok := outsideKind(tm.APIVersion, tm.Kind); ok {
		return decodeOutside(data, tm)
	}
	if obj, ok, err := decodeTier(data, tm); ok { // tiers.go
		return obj, err
	}
	if gv, err := schema.ParseGroupVersion(tm.APIVersion); err == nil && gv.Version != "" {
		if obj, err := scheme.Scheme.New(gv.WithKind(tm.Kind)); err == nil {
			if err := kjson.UnmarshalCaseSensitivePreserveInts(data, obj); err != nil {
				return nil, err
			}
			return obj, nil
		}
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
	return obj, err
}

// decodeAll runs decode on every item, on every core, and returns the
// results in order. Decoding dominates reading manifests; the order in which
// objects are added, and so errors and warnings, stay those of the files.
func decodeAll[T any](n int, decode func(i int) T) []T {
	out := make([]T, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range out {
			out[i] = decode(i)
		}
		return out
	}
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= n {
					return
				}
				out[k] = decode(k)
			}
		}()
	}
	wg.Wait()
	return out
}
