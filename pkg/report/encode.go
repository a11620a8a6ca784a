package report

import (
	"encoding/json"
	"io"

	"sigs.k8s.io/yaml"
)

// APIVersion is the version of every document netaudit writes with -o json|yaml.
// It changes only when a field changes meaning or goes away.
const APIVersion = "netaudit.kubectl.io/v1alpha1"

// WriteJSON writes v as indented JSON followed by a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteYAML writes v as YAML with the same field names as its JSON.
func WriteYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
