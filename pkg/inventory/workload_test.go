package inventory

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func ownedPod(kind, owner string, labels map[string]string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "p", Labels: labels}}
	if kind != "" {
		yes := true
		p.OwnerReferences = []metav1.OwnerReference{{Kind: kind, Name: owner, Controller: &yes}}
	}
	return p
}

func TestWorkloadOf(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		want Workload
	}{
		{"bare pod", ownedPod("", "", nil), Workload{"x", "Pod", "p"}},
		{"deployment", ownedPod("ReplicaSet", "web-7d9f8c", map[string]string{"pod-template-hash": "7d9f8c"}), Workload{"x", "Deployment", "web"}},
		{"bare replicaset", ownedPod("ReplicaSet", "web", nil), Workload{"x", "ReplicaSet", "web"}},
		{"statefulset", ownedPod("StatefulSet", "db", nil), Workload{"x", "StatefulSet", "db"}},
		{"daemonset", ownedPod("DaemonSet", "agent", nil), Workload{"x", "DaemonSet", "agent"}},
		{"cronjob", ownedPod("Job", "backup-29012345", nil), Workload{"x", "CronJob", "backup"}},
		{"job", ownedPod("Job", "migrate-v2", nil), Workload{"x", "Job", "migrate-v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WorkloadOf(tt.pod); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
