// Package cmd turns flags into options for each verb of `kubectl netaudit`,
// runs the inventory -> reachability -> report pipeline, and owns exit codes.
// It is the only package that imports cobra.
package cmd

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // cloud and OIDC logins in kubeconfigs
	"k8s.io/klog/v2"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/version"
)

const rootLong = `Audit Kubernetes NetworkPolicies: what traffic they really allow, where
isolation is missing, and which policies are stale, broad or redundant.

Run without a command, netaudit audits: it prints a coverage summary, the
findings by severity (see 'kubectl netaudit checks') and the changes they
call for. --fail-on sets the severity that makes it exit 1.

netaudit reads namespaces, pods and NetworkPolicies from the current kubeconfig
context (get/list only, never writes) or, with -f, from manifest files. Unlike
kubectl get, it looks at all namespaces unless -n is given, because isolation
is a property of the whole cluster.

` + exitCodeHelp

const rootExample = `  # Audit the current context: findings, coverage and the changes to make
  kubectl netaudit

  # Fail a CI job on new findings of medium severity or worse, from manifests
  kubectl netaudit -f deploy/ -R --fail-on medium --ignore netaudit-baseline.yaml

  # Every context of the kubeconfig, one JSON report each
  kubectl netaudit --all-contexts -o json --output-dir reports/

  # Who can talk to whom, and why one connection is allowed
  kubectl netaudit matrix -n prod
  kubectl netaudit explain --from prod/deployment/web --to prod/statefulset/db --port 5432`

// NewRootCommand builds `kubectl netaudit` and its subcommands.
func NewRootCommand(streams genericiooptions.IOStreams) *cobra.Command {
	inv := NewInventoryOptions(streams)
	o := NewAuditOptions(inv)
	root := &cobra.Command{
		Use:           "netaudit",
		Short:         "Audit Kubernetes NetworkPolicies: reachability, isolation gaps, stale and risky rules",
		Long:          rootLong,
		Example:       rootExample,
		Version:       version.Get(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl netaudit"},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for \"kubectl netaudit\"", args[0])
			}
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(c)
		},
	}
	root.SetVersionTemplate("kubectl-netaudit {{.Version}}\n")
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &Error{Code: ExitUsage, Err: err, Hint: fmt.Sprintf("see '%s --help' for usage", c.CommandPath())}
	})

	inv.AddFlags(root.PersistentFlags())
	o.AddFlags(root.Flags())
	o.formats().complete(root)
	_ = root.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"high", "medium", "low", "info", "none"}, cobra.ShellCompDirectiveNoFileComp))
	addKlogVerbosity(root.PersistentFlags())
	inv.registerCompletions(root)

	// `kubectl netaudit audit` names the default command explicitly: the
	// same options, flags and completions.
	auditCmd := &cobra.Command{
		Use:     "audit",
		Short:   "Audit (the default command): findings, coverage and the changes to make",
		Long:    rootLong,
		Example: strings.ReplaceAll(rootExample, "kubectl netaudit -f", "kubectl netaudit audit -f"),
		Args:    cobra.NoArgs,
		RunE:    root.RunE,
	}
	auditCmd.Flags().AddFlagSet(root.Flags())
	root.AddCommand(
		auditCmd,
		NewPoliciesCommand(inv),
		NewMatrixCommand(inv),
		NewExplainCommand(inv),
		NewVerifyCommand(inv),
		NewDiffCommand(inv),
		newChecksCommand(inv),
		newVersionCommand(streams),
		newCompletionCommand(streams),
	)
	return root
}

// Execute runs the command, prints any error with its hint, and returns the
// exit code; main calls os.Exit with it and nothing else does.
func Execute(root *cobra.Command, streams genericiooptions.IOStreams) int {
	err := root.ExecuteContext(context.Background())
	printError(streams.ErrOut, err)
	return exitCode(err)
}

// addKlogVerbosity exposes client-go's logging as -v only; the other klog
// flags are noise for a plugin (as kubectl-tree does).
func addKlogVerbosity(fs *pflag.FlagSet) {
	gfs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(gfs)
	_ = gfs.Set("logtostderr", "true")
	klog.SetOutput(os.Stderr)
	if v := gfs.Lookup("v"); v != nil {
		p := pflag.PFlagFromGoFlag(v)
		p.Usage = "log level for client-go requests (6 shows every request)"
		fs.AddFlag(p)
	}
}

func newVersionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of kubectl-netaudit",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(streams.Out, "kubectl-netaudit %s\n", version.Get())
		},
	}
}

func newCompletionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for bash, zsh or fish.

kubectl (1.26 and later) completes plugins through an executable named
kubectl_complete-netaudit on PATH. 'make install' installs one; with krew,
create it as the plugin's caveats say (kubectl krew info netaudit). Then
'kubectl netaudit <TAB>' completes without this command. Use this command to
complete the kubectl-netaudit binary when it is run directly.`,
		Example: `  source <(kubectl-netaudit completion bash)
  kubectl-netaudit completion zsh > "${fpath[1]}/_kubectl-netaudit"
  kubectl-netaudit completion fish > ~/.config/fish/completions/kubectl-netaudit.fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			// The script completes the binary run directly, so it must be
			// registered under the binary's name, not the plugin's.
			use := root.Use
			root.Use = "kubectl-netaudit"
			defer func() { root.Use = use }()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(streams.Out, true)
			case "zsh":
				return root.GenZshCompletion(streams.Out)
			default:
				return root.GenFishCompletion(streams.Out, true)
			}
		},
	}
}
