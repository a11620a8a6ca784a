package report

import (
	"encoding/json"
	"io"

	"sigs.k8s.io/yaml"
)

// APIVersion is the version of every document netaudit writes with -o json|yaml.
// It changes only when a field changes meaning or goes away.
const APIVersion = "netaudit.kubectl.io/v1alpha1"

// WriteJSON writes v as indented JSON followed by a newline; a document
// too big to hold (a streamed matrix) writes itself as it is computed.
func WriteJSON(w io.Writer, v any) error {
	if s, ok := v.(interface{ WriteJSONTo(io.Writer) error }); ok {
		return s.WriteJSONTo(w)
	}
	return writeJSON(w, v)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteYAML writes v as YAML with the same field names as its JSON; a
// streamed matrix writes itself as it is computed.
func WriteYAML(w io.Writer, v any) error {
	if s, ok := v.(interface{ WriteYAMLTo(io.Writer) error }); ok {
		return s.WriteYAMLTo(w)
	}
	return writeYAML(w, v)
}

func writeYAML(w io.Writer, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
