package inventory

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Workload names the controller a pod belongs to, the unit users read.
// Kind is Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
// ReplicationController, another owner kind, or Pod for a bare pod.
type Workload struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
}

// String renders the workload as ns/kind/name, the form explain accepts.
func (w Workload) String() string {
	return w.Namespace + "/" + strings.ToLower(w.Kind) + "/" + w.Name
}

// WorkloadOf derives a pod's workload from its owner reference alone, so no
// extra RBAC (replicasets, jobs) is needed: a ReplicaSet named
// "<deployment>-<pod-template-hash>" belongs to that Deployment, and a Job
// named "<cronjob>-<digits>" to that CronJob, as their controllers name them.
func WorkloadOf(pod *corev1.Pod) Workload {
	w := Workload{Namespace: pod.Namespace, Kind: "Pod", Name: pod.Name}
	owner := metav1.GetControllerOf(pod)
	if owner == nil {
		if len(pod.OwnerReferences) == 0 {
			return w
		}
		owner = &pod.OwnerReferences[0]
	}
	w.Kind, w.Name = owner.Kind, owner.Name
	switch owner.Kind {
	case "ReplicaSet":
		if hash := pod.Labels["pod-template-hash"]; hash != "" && strings.HasSuffix(owner.Name, "-"+hash) {
			w.Kind, w.Name = "Deployment", strings.TrimSuffix(owner.Name, "-"+hash)
		}
	case "Job":
		// A CronJob names its Jobs "<cronjob>-<scheduled minute since epoch>".
		if i := strings.LastIndexByte(owner.Name, '-'); i > 0 && len(owner.Name)-i-1 >= 8 && isDigits(owner.Name[i+1:]) {
			w.Kind, w.Name = "CronJob", owner.Name[:i]
		}
	}
	return w
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
