package inventory

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Target is what a user's reference names: pods of the snapshot (one pod,
// or the pods of a workload), or an address outside them.
type Target struct {
	// Ref is the reference as the user wrote it.
	Ref string
	// Pods are the pods named, sorted; empty for an address.
	Pods []*corev1.Pod
	// Workload is set when Ref named a workload.
	Workload *Workload
	// IP is set when Ref is an address that no pod of the snapshot owns.
	IP netip.Addr
}

// Resolve turns "ns/pod", "ns/kind/name" (a workload, kind as in
// Deployment, deployment or deploy) or an IP address into a Target. An IP a
// single non-hostNetwork pod owns resolves to that pod, since policies judge
// the pod, not the address.
func (s *Snapshot) Resolve(ref string) (Target, error) {
	t := Target{Ref: ref}
	if ip, err := netip.ParseAddr(ref); err == nil {
		ip = ip.Unmap()
		var owners []*corev1.Pod
		for i := range s.Pods {
			p := &s.Pods[i]
			if p.Spec.HostNetwork {
				continue
			}
			for _, a := range PodIPs(p) {
				if a == ip {
					owners = append(owners, p)
					break
				}
			}
		}
		if len(owners) == 1 {
			t.Pods = owners
		} else {
			t.IP = ip
		}
		return t, nil
	}
	parts := strings.Split(ref, "/")
	for _, p := range parts {
		if p == "" {
			return t, fmt.Errorf("%q: want namespace/pod, namespace/kind/name or an IP address", ref)
		}
	}
	if len(parts) == 3 && workloadKinds[strings.ToLower(parts[1])] == "Pod" {
		parts = []string{parts[0], parts[2]} // ns/pod/name is the pod, whoever owns it
	}
	switch len(parts) {
	case 2:
		for i := range s.Pods {
			if s.Pods[i].Namespace == parts[0] && s.Pods[i].Name == parts[1] {
				t.Pods = []*corev1.Pod{&s.Pods[i]}
				return t, nil
			}
		}
		return t, fmt.Errorf("pod %q not found in namespace %q", parts[1], parts[0])
	case 3:
		kind, ok := workloadKinds[strings.ToLower(parts[1])]
		if !ok {
			return t, fmt.Errorf("%q: unknown workload kind %q (use deployment, statefulset, daemonset, replicaset, job, cronjob or pod)", ref, parts[1])
		}
		w := Workload{Namespace: parts[0], Kind: kind, Name: parts[2]}
		for i := range s.Pods {
			if WorkloadOf(&s.Pods[i]) == w {
				t.Pods = append(t.Pods, &s.Pods[i])
			}
		}
		if len(t.Pods) == 0 {
			return t, fmt.Errorf("%s %q has no pods in namespace %q", kind, w.Name, w.Namespace)
		}
		t.Workload = &w
		return t, nil
	}
	return t, fmt.Errorf("%q: want namespace/pod, namespace/kind/name or an IP address", ref)
}

var workloadKinds = map[string]string{
	"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
	"statefulset": "StatefulSet", "statefulsets": "StatefulSet", "sts": "StatefulSet",
	"daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
	"replicaset": "ReplicaSet", "replicasets": "ReplicaSet", "rs": "ReplicaSet",
	"job": "Job", "jobs": "Job",
	"cronjob": "CronJob", "cronjobs": "CronJob", "cj": "CronJob",
	"replicationcontroller": "ReplicationController", "rc": "ReplicationController",
	"pod": "Pod", "pods": "Pod", "po": "Pod",
}

// PodIPs returns a pod's addresses from status.podIPs, falling back to
// status.podIP; unparsable addresses are left out.
func PodIPs(p *corev1.Pod) []netip.Addr {
	var out []netip.Addr
	add := func(s string) {
		if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			for _, b := range out {
				if a == b {
					return
				}
			}
			out = append(out, a)
		}
	}
	for _, ip := range p.Status.PodIPs {
		add(ip.IP)
	}
	if len(out) == 0 {
		add(p.Status.PodIP)
	}
	return out
}

// TargetNames lists what Resolve accepts for the snapshot's pods: every
// workload as ns/kind/name (kinds other than Pod) and every pod as ns/pod,
// sorted, for shell completion.
func (s *Snapshot) TargetNames() []string {
	seen := map[string]bool{}
	var workloads, pods []string
	for i := range s.Pods {
		p := &s.Pods[i]
		pods = append(pods, p.Namespace+"/"+p.Name)
		if w := WorkloadOf(p); w.Kind != "Pod" && !seen[w.String()] {
			seen[w.String()] = true
			workloads = append(workloads, w.String())
		}
	}
	sort.Strings(workloads)
	sort.Strings(pods)
	return append(workloads, pods...)
}
