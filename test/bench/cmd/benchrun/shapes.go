package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// shapes times the audit of one file in each input shape users feed -f
// (YAML documents, a YAML List, a JSON stream, a JSON List): the cluster of
// -shape-pods pods (target: < 20 s wall and < 3 GiB in every shape), and
// ConfigMaps alone, which the audit skips: their peak memory shows that
// reading follows the objects kept, not the size of the file.
func (r *runner) shapes() error {
	type input struct {
		name string
		objs func() []runtime.Object
		pods int
	}
	var inputs []input
	if n := r.o.shapePods; n > 0 {
		inputs = append(inputs, input{fmt.Sprintf("%d pods", n), func() []runtime.Object { return gen.Objects(gen.Generate(gen.Config{Pods: n, Seed: 1})) }, n})
	}
	for _, n := range r.o.shapeConfigMaps {
		inputs = append(inputs, input{fmt.Sprintf("%d ConfigMaps", n), func() []runtime.Object { return configMaps(n) }, 0})
	}
	var rows [][]string
	for _, in := range inputs {
		progress("one file per input shape: %s", in.name)
		objs := in.objs()
		for _, shape := range gen.Shapes {
			path := filepath.Join(r.o.workDir, strings.ReplaceAll(in.name, " ", "-")+"."+string(shape))
			if err := gen.WriteFile(path, objs, shape); err != nil {
				return err
			}
			st, err := os.Stat(path)
			if err != nil {
				return err
			}
			u, err := best(r.o.shapeRuns, func() (usage, error) {
				return measure(r.o.workDir, "", r.o.bin, "-f", path, "--timings", "-o", "json")
			})
			os.Remove(path) // the 100k-pod files take 2.3 GB together
			if err != nil {
				return err
			}
			target := fmt.Sprintf("RSS %.2fx the file", float64(u.rss)/float64(st.Size()))
			if in.pods == 100000 {
				target = fmt.Sprintf("wall < 20 s, RSS < 3 GiB: %s", verdict(u.wall < 20*time.Second && u.rss < 3<<30))
			}
			r.timed(in.name+", one "+string(shape)+" file", u)
			rows = append(rows, []string{in.name, string(shape), fmt.Sprintf("%.0f", float64(st.Size())/1e6), u.String(), target})
		}
	}
	r.table("One file per input shape: kubectl-netaudit -f FILE -o json",
		fmt.Sprintf("best of %d run(s) (least CPU); a file over 4 MB is read in parts (pkg/inventory/parts.go); load average %s at the end", r.o.shapeRuns, loadAverage()),
		"INPUT\tSHAPE\tFILE-MB\tCPU-S\tWALL-S\tMAX-RSS-MIB\tTARGET", rows)
	return nil
}

// configMaps are n ConfigMaps of about 1.9 KB, in 100 namespaces.
func configMaps(n int) []runtime.Object {
	value := strings.Repeat("x", 1800)
	out := make([]runtime.Object, n)
	for i := range out {
		out[i] = &corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "cm" + strconv.Itoa(i), Namespace: "ns" + strconv.Itoa(i%100)},
			Data:       map[string]string{"k": value},
		}
	}
	return out
}
