package cmd

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// TestReadmeExamples runs every console example of the README that reads
// the repository's manifests and compares the output with what the README
// shows, so the tour never drifts from the tool.
func TestReadmeExamples(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	blocks := strings.Split(string(data), "```console\n")[1:]
	checked := 0
	for _, b := range blocks {
		b = b[:strings.Index(b, "```")]
		cmdLine, want, _ := strings.Cut(b, "\n")
		if !strings.HasPrefix(cmdLine, "$ kubectl netaudit") || !strings.Contains(cmdLine, "-f test/e2e/testdata/") {
			continue
		}
		checked++
		t.Run(cmdLine, func(t *testing.T) {
			args := strings.Fields(strings.TrimPrefix(cmdLine, "$ kubectl netaudit"))
			var out, errOut bytes.Buffer
			streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
			root := NewRootCommand(streams)
			root.SetArgs(args)
			code := Execute(root, streams)
			if code > ExitFailed {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			if got := out.String(); got != want {
				t.Errorf("the README shows:\n%s\nthe tool prints:\n%s", want, got)
			}
		})
	}
	if checked < 5 {
		t.Errorf("checked %d README examples, want at least 5", checked)
	}
}
