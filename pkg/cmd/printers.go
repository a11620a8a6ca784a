package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// format is one value of -o. Each command declares its formats once, in one
// list; the -o help text, its validation and completion, the --output-dir
// file names and the multi-context output all read that list, so a new
// format is one entry there and one printer in pkg/report.
type format struct {
	name string
	// ext is the extension of each context's file with --output-dir.
	ext string
	// print writes one source's document.
	print func(w io.Writer, out *outcome) error
	// many writes several contexts' results as one output. nil: one output
	// holds one context only, so several contexts need --output-dir.
	many func(w io.Writer, cmd *command, runs []contextRun) error
}

// formats is a command's list of -o values, the default first.
type formats []format

func (fs formats) names() []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return names
}

// find returns the named format, or nil.
func (fs formats) find(name string) *format {
	for i := range fs {
		if fs[i].name == name {
			return &fs[i]
		}
	}
	return nil
}

// usage is the -o help text: "output format: a, b or c".
func (fs formats) usage() string {
	n := fs.names()
	if len(n) == 1 {
		return "output format: " + n[0]
	}
	return "output format: " + strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// bind adds -o/--output with the list's default and help text.
func (fs formats) bind(flags *pflag.FlagSet, p *string) {
	flags.StringVarP(p, "output", "o", fs[0].name, fs.usage())
}

// complete registers the list as the completion of -o.
func (fs formats) complete(c *cobra.Command) {
	_ = c.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(fs.names(), cobra.ShellCompDirectiveNoFileComp))
}

// validate checks -o against the list and --output-dir against the
// contexts the run will read (InventoryOptions.Complete found them), before
// anything is read from a cluster.
func (fs formats) validate(name string, inv *InventoryOptions) error {
	f := fs.find(name)
	if f == nil {
		return usageErrorf("unsupported output format %q for -o: use one of %s", name, strings.Join(fs.names(), ", "))
	}
	if inv.OutputDir != "" && inv.contexts == nil {
		return usageErrorf("--output-dir writes one file per context: use it with --context a,b or --all-contexts")
	}
	if inv.contexts != nil && inv.OutputDir == "" && f.many == nil {
		return usageErrorf("-o %s holds one context: with several contexts, add --output-dir DIR to write one file per context", name)
	}
	return nil
}

// jsonFormat and yamlFormat write the document; several contexts make one
// ContextList.
func jsonFormat() format { return dataFormat("json", report.WriteJSON) }
func yamlFormat() format { return dataFormat("yaml", report.WriteYAML) }

func dataFormat(name string, write func(io.Writer, any) error) format {
	return format{
		name:  name,
		ext:   name,
		print: func(w io.Writer, out *outcome) error { return write(w, out.doc) },
		many: func(w io.Writer, cmd *command, runs []contextRun) error {
			return write(w, cmd.list(runs))
		},
	}
}

// textFormat is a format for people: several contexts are printed one after
// another, each under the header line (a format with one %s, the context).
func textFormat(name, ext, header string, print func(w io.Writer, out *outcome) error) format {
	return format{
		name:  name,
		ext:   ext,
		print: print,
		many: func(w io.Writer, _ *command, runs []contextRun) error {
			return printSections(w, header, print, runs)
		},
	}
}

// tableHeader and markdownHeader open each context's section.
const (
	tableHeader    = "=== context %s ===\n"
	markdownHeader = "# Context %s\n\n"
)

// printSections prints each context's result under its header line.
func printSections(w io.Writer, header string, print func(io.Writer, *outcome) error, runs []contextRun) error {
	for i, r := range runs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, header, r.name)
		if r.err != nil {
			e := contextError(r.err)
			fmt.Fprintf(w, "Error: %s\n", e.Message)
			if e.Hint != "" {
				fmt.Fprintf(w, "Hint: %s\n", e.Hint)
			}
			continue
		}
		if err := print(w, r.out); err != nil {
			return err
		}
	}
	return nil
}
