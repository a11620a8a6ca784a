package gen

import (
	"bufio"
	"bytes"
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

// Objects are a snapshot's namespaces, policies and pods, in that order, as
// manifests hold them.
func Objects(snap *inventory.Snapshot) []runtime.Object {
	var out []runtime.Object
	for i := range snap.Namespaces {
		out = append(out, &snap.Namespaces[i])
	}
	for i := range snap.Policies {
		out = append(out, &snap.Policies[i])
	}
	for i := range snap.Pods {
		out = append(out, &snap.Pods[i])
	}
	return out
}

// Shape is how WriteFile lays out objects in one file: the input shapes
// users feed -f.
type Shape string

const (
	// YAMLDocs is multi-document YAML.
	YAMLDocs Shape = "yaml-docs"
	// YAMLList is a kind: List as `kubectl get -o yaml` writes it.
	YAMLList Shape = "yaml-list"
	// JSONStream is one JSON object per line.
	JSONStream Shape = "json-stream"
	// JSONList is a kind: List as `kubectl get -o json` writes it.
	JSONList Shape = "json-list"
)

// Shapes are the shapes WriteFile writes.
var Shapes = []Shape{YAMLDocs, YAMLList, JSONStream, JSONList}

// WriteFile writes objs to one file in the given shape, an object at a
// time (marshalling a List of 100,000 pods at once takes tens of GiB).
func WriteFile(path string, objs []runtime.Object, shape Shape) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	switch shape {
	case YAMLList:
		_, _ = w.WriteString("apiVersion: v1\nitems:\n")
	case JSONList:
		_, _ = w.WriteString("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n")
	case YAMLDocs, JSONStream:
	default:
		f.Close()
		return fmt.Errorf("unknown shape %q", shape)
	}
	var buf bytes.Buffer
	for i, obj := range objs {
		var data []byte
		switch shape {
		case YAMLDocs, YAMLList:
			data, err = yaml.Marshal(obj)
		default:
			data, err = json.Marshal(obj)
		}
		if err != nil {
			f.Close()
			return err
		}
		switch shape {
		case YAMLDocs:
			if i > 0 {
				_, _ = w.WriteString("---\n")
			}
			_, _ = w.Write(data)
		case YAMLList:
			// "- " before the first line, two spaces before the others.
			for k, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
				switch {
				case k == 0:
					_, _ = w.WriteString("- ")
				case len(line) > 0:
					_, _ = w.WriteString("  ")
				}
				_, _ = w.Write(line)
				_ = w.WriteByte('\n')
			}
		case JSONStream:
			_, _ = w.Write(data)
			_ = w.WriteByte('\n')
		case JSONList:
			buf.Reset()
			_ = json.Indent(&buf, data, "        ", "    ")
			_, _ = w.WriteString("        ")
			_, _ = w.Write(buf.Bytes())
			if i < len(objs)-1 {
				_ = w.WriteByte(',')
			}
			_ = w.WriteByte('\n')
		}
	}
	switch shape {
	case YAMLList:
		_, _ = w.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	case JSONList:
		_, _ = w.WriteString("    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n")
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
