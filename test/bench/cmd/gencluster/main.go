// Command gencluster writes a synthetic cluster (see test/bench/gen) as
// manifests, and optionally loads it into an API server.
//
//	go run ./test/bench/cmd/gencluster -pods 10000 -out /tmp/cluster-10k
//	go run ./test/bench/cmd/gencluster -pods 10000 -kubeconfig /tmp/kubeconfig -workers 8
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

func main() {
	var cfg gen.Config
	var out, format, kubeconfig string
	var workers int
	flag.IntVar(&cfg.Pods, "pods", 10000, "number of pods")
	flag.IntVar(&cfg.Workloads, "workloads", 0, "number of workloads (default pods/10)")
	flag.IntVar(&cfg.Namespaces, "namespaces", 0, "number of namespaces (default workloads/5)")
	flag.IntVar(&cfg.Policies, "policies", 0, "number of NetworkPolicies (default pods/5)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed: the same flags give the same cluster")
	flag.BoolVar(&cfg.UniformLabels, "uniform-labels", false, "give every pod of a StatefulSet the same labels (netpol-analyzer v1.4.2 panics otherwise)")
	flag.BoolVar(&cfg.BarePods, "bare-pods", false, "pods without owner references: each pod is a workload of its own")
	flag.StringVar(&out, "out", "", "write manifests into this folder, one file per namespace")
	flag.StringVar(&format, "format", "yaml", "manifest format: yaml or json")
	flag.StringVar(&kubeconfig, "kubeconfig", "", "load the cluster into the API server of this kubeconfig's current context")
	flag.IntVar(&workers, "workers", 8, "concurrent requests when loading")
	flag.Parse()
	if out == "" && kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "gencluster: give -out DIR, -kubeconfig FILE or both")
		os.Exit(2)
	}
	if err := run(cfg, out, gen.Format(format), kubeconfig, workers); err != nil {
		fmt.Fprintf(os.Stderr, "gencluster: %v\n", err)
		os.Exit(1)
	}
}

func run(cfg gen.Config, out string, format gen.Format, kubeconfig string, workers int) error {
	cfg, err := cfg.Complete()
	if err != nil {
		return err
	}
	start := time.Now()
	snap := gen.Generate(cfg)
	fmt.Fprintf(os.Stderr, "generated %d namespaces, %d pods, %d policies in %s\n",
		len(snap.Namespaces), len(snap.Pods), len(snap.Policies), time.Since(start).Round(time.Millisecond))
	if out != "" {
		start = time.Now()
		files, err := gen.WriteManifests(snap, out, format)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %d files into %s in %s\n", len(files), out, time.Since(start).Round(time.Millisecond))
	}
	if kubeconfig != "" {
		rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return err
		}
		rc.QPS, rc.Burst = -1, 0 // no client-side throttling: the workers bound the load
		cs, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return err
		}
		st, err := gen.Load(context.Background(), cs, snap, workers, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "loaded %d namespaces, %d pods, %d policies with %d requests in %s (%.0f requests/s)\n",
			st.Namespaces, st.Pods, st.Policies, st.Requests, st.Elapsed.Round(time.Millisecond), float64(st.Requests)/st.Elapsed.Seconds())
	}
	return nil
}
