package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// defaultRequestTimeout is --request-timeout's default.
const defaultRequestTimeout = 30 * time.Second

// readDeadlineFactor bounds the whole read of a cluster: ten request
// timeouts (5 minutes by default).
const readDeadlineFactor = 10

// InventoryOptions are the flags every command that reads a cluster or
// manifests shares: kubectl's own connection flags plus -A, -f and -R.
type InventoryOptions struct {
	ConfigFlags   *genericclioptions.ConfigFlags
	AllNamespaces bool
	Filenames     []string
	Recursive     bool
	// Kustomize is a kustomization folder (-k), rendered as kubectl apply -k does.
	Kustomize string
	// AllowDuplicates is "" (differing duplicates are an error) or "last".
	AllowDuplicates string
	AllowEmpty      bool
	ChunkSize       int64
	// AllContexts, Parallel, OutputDir: several clusters in one run.
	AllContexts bool
	Parallel    int
	OutputDir   string
	Quiet       bool
	// Timings prints, on stderr, how long each phase took (--timings).
	Timings bool

	genericiooptions.IOStreams
	// contexts are the contexts of --context a,b or --all-contexts that
	// Complete found; nil when the command runs once.
	contexts []string
	// warnPrefix names the context in warnings when several run at once.
	warnPrefix string
	// progress, when set, is told how many objects each page brought.
	progress func(n int)
	// timer measures the phases of a single run for --timings; nil
	// otherwise (and with several contexts, which run at once).
	timer *phaseTimer
}

// NewInventoryOptions sets every default.
func NewInventoryOptions(streams genericiooptions.IOStreams) *InventoryOptions {
	cf := genericclioptions.NewConfigFlags(true)
	// A black-holed server must fail a CI job, not hang it: unlike kubectl,
	// requests time out after 30s unless --request-timeout says otherwise.
	timeout := defaultRequestTimeout.String()
	cf.Timeout = &timeout
	return &InventoryOptions{
		ConfigFlags: cf,
		// Whole lists, unlike kubectl's pages of 500: the API server
		// answers them from its watch cache. On a 100,000-pod server
		// paging cost it about six times the CPU and doubled the wall
		// time (test/bench/README.md).
		ChunkSize: 0,
		Parallel:  4,
		IOStreams: streams,
	}
}

// AddFlags binds the shared flags.
func (o *InventoryOptions) AddFlags(fs *pflag.FlagSet) {
	o.ConfigFlags.AddFlags(fs)
	fs.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "look at all namespaces (the default unless -n is given)")
	fs.StringArrayVarP(&o.Filenames, "filename", "f", nil, "read manifests from files, folders or - (stdin) instead of the cluster; repeatable")
	fs.BoolVarP(&o.Recursive, "recursive", "R", false, "read folders given with -f recursively")
	fs.StringVarP(&o.Kustomize, "kustomize", "k", "", "read the objects a kustomization folder renders, as kubectl apply -k does, instead of the cluster")
	fs.StringVar(&o.AllowDuplicates, "allow-duplicates", "", "with -f, what to do with two different objects of one kind, namespace and name: by default an error; 'last' keeps the last, as kubectl apply would")
	fs.BoolVar(&o.AllowEmpty, "allow-empty", false, "with -f, accept manifests that hold no objects at all (by default an error)")
	fs.Int64Var(&o.ChunkSize, "chunk-size", o.ChunkSize, "list objects from the API server in pages of this size; 0 (the default) reads each kind in one request, which the server answers from its cache, faster than paging; page (kubectl uses 500) if whole lists time out")
	fs.BoolVar(&o.AllContexts, "all-contexts", false, "run on every context of the kubeconfig, concurrently; --context also takes a comma-separated list")
	fs.IntVar(&o.Parallel, "parallel", o.Parallel, "with several contexts, how many to read at once")
	fs.StringVar(&o.OutputDir, "output-dir", "", "with several contexts, write one file per context into this folder")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print no warnings or progress on stderr (errors still are)")
	fs.BoolVar(&o.Timings, "timings", false, "print on stderr where the time went: wall and CPU seconds of each phase (decode or fetch, build, verdicts, checks, print) and the peak memory; one cluster or -f, not several contexts")
	if f := fs.Lookup("context"); f != nil {
		f.Usage = "the kubeconfig context to use, or several separated by commas (a,b,c) to run on each"
	}
}

func (o *InventoryOptions) registerCompletions(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("context", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		cfg, err := o.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for name := range cfg.Contexts {
			names = append(names, name)
		}
		sort.Strings(names)
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	_ = root.RegisterFlagCompletionFunc("namespace", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		cs, err := o.clientset()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(c.Context(), 5*time.Second)
		defer cancel()
		list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, ns := range list.Items {
			names = append(names, ns.Name)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
}

// Validate checks the flags for contradictions.
func (o *InventoryOptions) Validate() error {
	if o.AllNamespaces && o.namespace() != "" {
		return usageErrorf("-A/--all-namespaces and -n/--namespace %q cannot be used together", o.namespace())
	}
	if o.Kustomize != "" && len(o.Filenames) > 0 {
		return usageErrorf("only one of -f or -k can be given")
	}
	if o.AllowDuplicates != "" && o.AllowDuplicates != "last" {
		return usageErrorf("--allow-duplicates must be 'last', got %q", o.AllowDuplicates)
	}
	if o.ChunkSize < 0 {
		return usageErrorf("--chunk-size must be 0 or more, got %d", o.ChunkSize)
	}
	if o.Parallel < 1 {
		return usageErrorf("--parallel must be 1 or more, got %d", o.Parallel)
	}
	return nil
}

// namespace is the namespace given with -n, or "" for all namespaces.
func (o *InventoryOptions) namespace() string {
	if o.ConfigFlags.Namespace == nil {
		return ""
	}
	return *o.ConfigFlags.Namespace
}

// Load reads the snapshot from files (-f) or from the kubeconfig context,
// prints its warnings to ErrOut, and maps failures to exit codes and hints.
func (o *InventoryOptions) Load(ctx context.Context) (*inventory.Snapshot, error) {
	snap, err := o.load(ctx)
	if err != nil {
		return nil, err
	}
	if !o.Quiet {
		for _, w := range snap.Warnings {
			fmt.Fprintf(o.ErrOut, "Warning: %s%s\n", o.warnPrefix, w)
		}
	}
	return snap, nil
}

func (o *InventoryOptions) load(ctx context.Context) (*inventory.Snapshot, error) {
	if len(o.Filenames) > 0 || o.Kustomize != "" {
		snap, err := inventory.FromFiles(inventory.FileOptions{
			Kustomize:  o.Kustomize,
			Paths:      o.Filenames,
			Recursive:  o.Recursive,
			Namespace:  o.namespace(),
			Stdin:      o.In,
			LastWins:   o.AllowDuplicates == "last",
			AllowEmpty: o.AllowEmpty,
		})
		if err != nil {
			return nil, inputError(err, manifestHint(err))
		}
		return snap, nil
	}

	contextName, server, err := o.target()
	if err != nil {
		return nil, err
	}
	// Each request times out after --request-timeout; the whole read, many
	// pages of several lists, after ten times that.
	if cfg, err := o.ConfigFlags.ToRESTConfig(); err == nil && cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readDeadlineFactor*cfg.Timeout)
		defer cancel()
	}
	cs, err := o.clientset()
	if err != nil {
		return nil, o.kubeconfigError(err)
	}
	md, err := o.metadataClient()
	if err != nil {
		return nil, o.kubeconfigError(err)
	}
	snap, err := inventory.FromCluster(ctx, cs, inventory.ClusterOptions{
		Namespace: o.namespace(),
		ChunkSize: o.ChunkSize,
		Context:   contextName,
		Server:    server,
		Progress:  o.progress,
		Metadata:  md,
	})
	if err != nil {
		return nil, clusterError(err, contextName, server)
	}
	return snap, nil
}

// target resolves the context name and API server URL for messages and
// for the snapshot's source.
func (o *InventoryOptions) target() (contextName, server string, err error) {
	raw, err := o.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return "", "", o.kubeconfigError(err)
	}
	contextName = raw.CurrentContext
	if c := o.ConfigFlags.Context; c != nil && *c != "" {
		contextName = *c
	}
	explicitServer := o.ConfigFlags.APIServer != nil && *o.ConfigFlags.APIServer != ""
	kc, ok := raw.Contexts[contextName]
	switch {
	case ok || explicitServer:
	case len(raw.Contexts) == 0 && os.Getenv("KUBERNETES_SERVICE_HOST") == "":
		// client-go would fall back to localhost:8080 and fail with
		// "connection refused", which hides the real cause.
		return "", "", o.kubeconfigError(clientcmd.ErrEmptyConfig)
	case len(raw.Contexts) == 0:
		// In a pod without a kubeconfig: the in-cluster config applies.
		return "in-cluster", "", nil
	case contextName == "":
		return "", "", &Error{Code: ExitCluster, Err: errors.New("kubeconfig has no current context"),
			Hint: "pick one with --context (see 'kubectl config get-contexts') or 'kubectl config use-context NAME'"}
	default:
		return "", "", &Error{Code: ExitCluster, Err: fmt.Errorf("context %q not found in kubeconfig", contextName),
			Hint: "list contexts with 'kubectl config get-contexts' and pass one with --context"}
	}
	if ok {
		clusterName := kc.Cluster
		if c := o.ConfigFlags.ClusterName; c != nil && *c != "" {
			clusterName = *c
		}
		if cl, ok := raw.Clusters[clusterName]; ok {
			server = cl.Server
		}
	}
	if s := o.ConfigFlags.APIServer; s != nil && *s != "" {
		server = *s
	}
	return contextName, server, nil
}

func (o *InventoryOptions) clientset() (kubernetes.Interface, error) {
	cfg, err := o.ConfigFlags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	// Protobuf halves decode time and bytes on the wire for pods.
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cfg.QPS, cfg.Burst = 50, 100
	cfg.UserAgent = "kubectl-netaudit"
	return kubernetes.NewForConfig(cfg)
}

// metadataClient lists objects of any kind by their metadata only: enough
// to count the policies of kinds outside the model.
func (o *InventoryOptions) metadataClient() (metadata.Interface, error) {
	cfg, err := o.ConfigFlags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	cfg.UserAgent = "kubectl-netaudit"
	return metadata.NewForConfig(cfg)
}

// kubeconfigError explains a kubeconfig that cannot be used.
func (o *InventoryOptions) kubeconfigError(err error) error {
	const noCluster = "or audit manifests without a cluster with -f"
	switch {
	case clientcmd.IsEmptyConfig(err):
		where := "~/.kube/config"
		if env := os.Getenv("KUBECONFIG"); env != "" {
			where = "KUBECONFIG=" + env
		}
		if k := o.ConfigFlags.KubeConfig; k != nil && *k != "" {
			where = *k
		}
		return &Error{Code: ExitCluster, Err: fmt.Errorf("no usable kubeconfig found (looked at %s)", where),
			Hint: "point --kubeconfig or KUBECONFIG at a kubeconfig file, " + noCluster}
	case clientcmd.IsContextNotFound(err):
		return &Error{Code: ExitCluster, Err: fmt.Errorf("kubeconfig: %w", err),
			Hint: "list contexts with 'kubectl config get-contexts' and pass one with --context"}
	case errors.Is(err, os.ErrNotExist):
		return &Error{Code: ExitCluster, Err: fmt.Errorf("kubeconfig: %w", err),
			Hint: "check the path given with --kubeconfig or KUBECONFIG, " + noCluster}
	}
	return &Error{Code: ExitCluster, Err: fmt.Errorf("kubeconfig: %w", err),
		Hint: "check the kubeconfig with 'kubectl config view --minify', " + noCluster}
}

// clusterError turns a failure to read the cluster into a one-line cause
// naming the resource, namespace and context, and a hint.
func clusterError(err error, contextName, server string) error {
	where := fmt.Sprintf("context %q", contextName)
	var le *inventory.ListError
	what := "reading the cluster"
	if errors.As(err, &le) {
		what = "listing " + le.Resource
		if le.Namespace != "" {
			what += fmt.Sprintf(" in namespace %q", le.Namespace)
		} else if le.Resource != "namespaces" && !le.ClusterScoped {
			what += " in all namespaces"
		}
		err = le.Err
	}
	switch {
	case apierrors.IsForbidden(err):
		return &Error{Code: ExitCluster,
			Err: fmt.Errorf("%s (%s): forbidden: %s", what, where, forbiddenReason(err)),
			Hint: "netaudit needs get/list on namespaces, pods and networkpolicies, and on the policy.networking.k8s.io kinds a cluster serves (README: Required RBAC); " +
				"check with 'kubectl auth can-i list pods -A', or limit the audit with -n to a namespace you can read"}
	case apierrors.IsUnauthorized(err):
		return &Error{Code: ExitCluster, Err: fmt.Errorf("%s (%s): unauthorized: the credentials were rejected", what, where),
			Hint: "log in again or refresh the credentials of " + where}
	case isTimeout(err):
		return &Error{Code: ExitCluster, Err: fmt.Errorf("%s (%s): API server %s did not answer in time", what, where, server),
			Hint: "check 'kubectl cluster-info --context " + contextName + "', raise --request-timeout (default " + defaultRequestTimeout.String() + "), or read big lists in pages with --chunk-size 500"}
	case isUnreachable(err):
		return &Error{Code: ExitCluster, Err: fmt.Errorf("%s (%s): cannot reach API server %s: %s", what, where, server, rootCause(err)),
			Hint: "check 'kubectl cluster-info --context " + contextName + "', or audit manifests without a cluster with -f"}
	}
	return &Error{Code: ExitCluster, Err: fmt.Errorf("%s (%s): %w", what, where, err),
		Hint: "check 'kubectl cluster-info --context " + contextName + "'"}
}

func forbiddenReason(err error) string {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		msg := se.Status().Message
		// "pods is forbidden: User "x" cannot list resource ..." -> keep the user part
		if i := strings.Index(msg, "forbidden: "); i >= 0 {
			return msg[i+len("forbidden: "):]
		}
		return msg
	}
	return err.Error()
}

func isTimeout(err error) bool {
	if apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isUnreachable(err error) bool {
	var ue *url.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &oe) || errors.As(err, &de) || errors.As(err, &ue)
}

// rootCause strips url.Error's "Get \"https://...\": " prefix, which repeats the server.
func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

func manifestHint(err error) string {
	var dup *inventory.DuplicateError
	if errors.As(err, &dup) {
		return "remove one of them, or pass --allow-duplicates=last to keep the last as kubectl apply would"
	}
	var invalid *inventory.InvalidError
	if errors.As(err, &invalid) {
		return "fix the named fields as the message says ('kubectl apply --dry-run=server -f FILE' shows what your API server says); the audit reads only objects a cluster could hold"
	}
	if errors.Is(err, inventory.ErrEmpty) {
		return "check the paths (a folder needs -R for sub-folders; a chart needs 'helm template' first), or pass --allow-empty"
	}
	if strings.Contains(err.Error(), "cannot unmarshal bool into") {
		return "YAML 1.1 reads unquoted y, n, yes, no, on and off as booleans, as kubectl does: quote the value"
	}
	return "fix or remove the named manifest; 'kubectl apply --dry-run=client -f FILE' shows how kubectl reads it"
}
