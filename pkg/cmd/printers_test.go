package cmd

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// runRoot runs `kubectl netaudit ARGS` in-process and returns the exit
// code and both streams.
func runRoot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	root := NewRootCommand(streams)
	root.SetArgs(args)
	return Execute(root, streams), out.String(), errOut.String()
}

// commandFormats is each command's list, as the -o flag was built from it.
func commandFormats(t *testing.T) map[string]formats {
	streams := genericiooptions.NewTestIOStreamsDiscard()
	inv := NewInventoryOptions(streams)
	return map[string]formats{
		"":         NewAuditOptions(inv).formats(),
		"matrix":   NewMatrixOptions(inv).formats(),
		"explain":  NewExplainOptions(inv).formats(),
		"verify":   NewVerifyOptions(inv).formats(),
		"policies": NewPoliciesOptions(inv).formats(),
	}
}

// The -o help text, its default, its completion and its validation all come
// from the command's one list of formats.
func TestOutputFlagReadsTheFormatList(t *testing.T) {
	root := NewRootCommand(genericiooptions.NewTestIOStreamsDiscard())
	for name, list := range commandFormats(t) {
		t.Run("command "+name, func(t *testing.T) {
			c := root
			if name != "" {
				var err error
				if c, _, err = root.Find([]string{name}); err != nil {
					t.Fatal(err)
				}
			}
			f := c.Flags().Lookup("output")
			if f == nil {
				t.Fatal("no -o flag")
			}
			names := list.names()
			if f.DefValue != names[0] {
				t.Errorf("default %q, want the list's first format %q", f.DefValue, names[0])
			}
			for _, n := range names {
				if !strings.Contains(f.Usage, n) {
					t.Errorf("help %q does not name format %q", f.Usage, n)
				}
			}
			fn, ok := c.GetFlagCompletionFunc("output")
			if !ok {
				t.Fatal("no completion for -o")
			}
			got, dir := fn(c, nil, "")
			if strings.Join(got, ",") != strings.Join(names, ",") || dir != cobra.ShellCompDirectiveNoFileComp {
				t.Errorf("completion %v (%v), want %v", got, dir, names)
			}
			for _, f := range list {
				if f.ext == "" || f.print == nil {
					t.Errorf("format %q has no file extension or printer", f.name)
				}
			}
			args := append(strings.Fields(name), "-o", "xml", "-f", "does-not-exist.yaml")
			switch name {
			case "verify":
				args = append(args, "--expect", "x.yaml")
			case "explain":
				args = append(args, "--from", "a/b", "--to", "a/c", "--port", "80")
			}
			code, _, errOut := runRoot(t, args...)
			want := `unsupported output format "xml" for -o: use one of ` + strings.Join(names, ", ")
			if code != ExitUsage || !strings.Contains(errOut, want) {
				t.Errorf("-o xml: exit %d, %q; want exit %d and %q", code, errOut, ExitUsage, want)
			}
		})
	}
}

// Validate runs before anything is read: a misused --output-dir or a format
// that cannot hold several contexts is a usage error even when the input
// does not exist (it would be exit 3 or 4 if it were read first).
func TestOutputValidatedBeforeReading(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"output-dir with one source", []string{"-f", "does-not-exist.yaml", "--output-dir", dir}, "--output-dir writes one file per context"},
		{"csv of several contexts", []string{"matrix", "--context", "nowhere-a,nowhere-b", "-o", "csv"}, "-o csv holds one context"},
		{"dot of several contexts", []string{"matrix", "--context", "nowhere-a,nowhere-b", "-o", "dot"}, "-o dot holds one context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runRoot(t, tt.args...)
			if code != ExitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, %q; want exit %d and %q", code, errOut, ExitUsage, tt.want)
			}
		})
	}
}

// -o html is one entry in the audit's and the matrix's lists: the page
// comes out of the same runner as every other format, one file per context
// with --output-dir.
func TestHTMLFormat(t *testing.T) {
	for _, args := range [][]string{
		{"-f", "../../test/e2e/testdata/demo.yaml", "-o", "html", "-q"},
		{"matrix", "-f", "../../test/e2e/testdata/demo.yaml", "-o", "html", "-q"},
		{"diff", "--base", "../../test/e2e/testdata/demo.yaml", "-f", "../../test/e2e/testdata/demo.yaml",
			"-f", "../../test/e2e/testdata/diff/legacy-default-deny.yaml", "-o", "html", "-q"},
	} {
		code, out, errOut := runRoot(t, args...)
		if code > ExitFailed {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		for _, want := range []string{"<!DOCTYPE html>", `class="map-data"`, "legacy/deployment/billing", "Content-Security-Policy"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: the page lacks %q", args, want)
			}
		}
		if len(out) >= 1<<20 {
			t.Errorf("%v: the demo's page is %d bytes, want under 1 MB", args, len(out))
		}
	}
	if f := commandFormats(t)[""].find("html"); f == nil || f.ext != "html" || f.many == nil {
		t.Errorf("the audit's html format: %+v, want extension html and one page for several contexts", f)
	}
}
