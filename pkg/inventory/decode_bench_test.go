package inventory_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// benchShapes are the input shapes users feed -f, each holding the same
// objects (a generated cluster of 3,000 pods): what `kubectl get -o yaml` and
// `-o json` write (a List), multi-document YAML, JSON documents separated by
// "---" lines, and a JSON stream (one object per line).
var benchShapes = []string{"yaml-docs", "yaml-list", "json-docs", "json-stream", "json-list"}

var benchInputs = sync.OnceValues(func() (map[string][]byte, error) {
	snap := gen.Generate(gen.Config{Pods: 3000, Seed: 7})
	objs := gen.Objects(snap)
	out := map[string][]byte{}
	var yamlDocs, jsonDocs, jsonStream bytes.Buffer
	for i, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			return nil, err
		}
		j, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			yamlDocs.WriteString("---\n")
			jsonDocs.WriteString("---\n")
		}
		yamlDocs.Write(y)
		jsonDocs.Write(j)
		jsonDocs.WriteByte('\n')
		jsonStream.Write(j)
		jsonStream.WriteByte('\n')
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": objs}
	yl, err := yaml.Marshal(list)
	if err != nil {
		return nil, err
	}
	jl, err := json.MarshalIndent(list, "", "    ") // as kubectl get -o json writes it
	if err != nil {
		return nil, err
	}
	out["yaml-docs"], out["yaml-list"] = yamlDocs.Bytes(), yl
	out["json-docs"], out["json-stream"], out["json-list"] = jsonDocs.Bytes(), jsonStream.Bytes(), jl
	return out, nil
})

// BenchmarkDecodeShape reads each input shape with FromFiles and reports
// MB/s of input; every shape holds the same 3,000 pods.
func BenchmarkDecodeShape(b *testing.B) {
	inputs, err := benchInputs()
	if err != nil {
		b.Fatal(err)
	}
	for _, shape := range benchShapes {
		b.Run(shape, func(b *testing.B) {
			data := inputs[shape]
			path := filepath.Join(b.TempDir(), "in.yaml")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			// MB per CPU second does not depend on what else the machine
			// runs; MB/s (wall) does. On 2 idle cores the wall figure
			// approaches twice this one where decoding runs in parallel.
			cpu0, runs := cpuTime(), 0
			defer func() {
				if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 && runs > 0 {
					b.ReportMetric(float64(len(data))*float64(runs)/1e6/cpu, "MB/cpu-s")
				}
			}()
			for b.Loop() {
				runs++
				snap, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{path}})
				if err != nil {
					b.Fatal(err)
				}
				if len(snap.Pods) < 3000 {
					b.Fatalf("read %d pods, want 3000 or more", len(snap.Pods))
				}
			}
		})
	}
}
