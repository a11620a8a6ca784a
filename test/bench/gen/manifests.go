package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// Format is how WriteManifests writes objects.
type Format string

const (
	// YAML writes multi-document YAML, as people keep manifests.
	YAML Format = "yaml"
	// JSON writes a stream of JSON objects, one per line.
	JSON Format = "json"
)

// WriteManifests writes the snapshot into dir, one file per namespace
// holding the Namespace, its NetworkPolicies and its Pods (with their
// status, so pod IPs survive), in a form both `kubectl netaudit -f` and
// `kubectl apply -f` read. It returns the files written.
func WriteManifests(snap *inventory.Snapshot, dir string, format Format) ([]string, error) {
	if format != YAML && format != JSON {
		return nil, fmt.Errorf("unknown format %q: want yaml or json", format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	byNS := map[string][]runtime.Object{}
	for i := range snap.Policies {
		np := &snap.Policies[i]
		byNS[np.Namespace] = append(byNS[np.Namespace], np)
	}
	for i := range snap.Pods {
		p := &snap.Pods[i]
		byNS[p.Namespace] = append(byNS[p.Namespace], p)
	}
	var files []string
	for i := range snap.Namespaces {
		ns := &snap.Namespaces[i]
		path := filepath.Join(dir, ns.Name+"."+string(format))
		objs := append([]runtime.Object{ns}, byNS[ns.Name]...)
		if err := writeObjects(path, objs, format); err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		files = append(files, path)
	}
	return files, nil
}

func writeObjects(path string, objs []runtime.Object, format Format) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i, obj := range objs {
		var data []byte
		if format == JSON {
			data, err = json.Marshal(obj)
			data = append(data, '\n')
		} else {
			data, err = yaml.Marshal(obj)
			if i > 0 {
				_, _ = w.WriteString("---\n")
			}
		}
		if err != nil {
			f.Close()
			return err
		}
		if _, err := w.Write(data); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
