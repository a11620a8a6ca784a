package inventory

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// templateWorkload is a workload read from a manifest, with the pod
// template its controller would create pods from.
type templateWorkload struct {
	w      Workload
	meta   metav1.ObjectMeta
	tmpl   corev1.PodTemplateSpec
	origin Origin
	// owner is the controller of a ReplicaSet or Job, when it has one; if
	// that workload is in the files too, it stands for this one.
	owner *Workload
}

// workloadTemplate returns the pod template of a workload object.
func workloadTemplate(obj runtime.Object) (kind string, meta metav1.ObjectMeta, tmpl corev1.PodTemplateSpec, ok bool) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return "Deployment", o.ObjectMeta, o.Spec.Template, true
	case *appsv1.StatefulSet:
		return "StatefulSet", o.ObjectMeta, o.Spec.Template, true
	case *appsv1.DaemonSet:
		return "DaemonSet", o.ObjectMeta, o.Spec.Template, true
	case *appsv1.ReplicaSet:
		return "ReplicaSet", o.ObjectMeta, o.Spec.Template, true
	case *batchv1.Job:
		return "Job", o.ObjectMeta, o.Spec.Template, true
	case *batchv1.CronJob:
		return "CronJob", o.ObjectMeta, o.Spec.JobTemplate.Spec.Template, true
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return "", metav1.ObjectMeta{}, corev1.PodTemplateSpec{}, false
		}
		return "ReplicationController", o.ObjectMeta, *o.Spec.Template, true
	}
	return "", metav1.ObjectMeta{}, corev1.PodTemplateSpec{}, false
}

// podsFromTemplates adds one pod per workload that has no pod of its own in
// the files, built from its pod template: manifests in a repository hold
// Deployments, not pods, and policies select pods by the template's labels.
// The pods have no IP, so ipBlock peers do not match them.
func (s *Snapshot) podsFromTemplates(workloads []templateWorkload) {
	have := map[Workload]bool{}
	for i := range s.Pods {
		have[WorkloadOf(&s.Pods[i])] = true
	}
	inFiles := map[Workload]bool{}
	for _, tw := range workloads {
		inFiles[tw.w] = true
	}
	var made []string
	yes := true
	for _, tw := range workloads {
		if have[tw.w] || (tw.owner != nil && (inFiles[*tw.owner] || have[*tw.owner])) {
			continue
		}
		have[tw.w] = true
		pod := corev1.Pod{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{
				Namespace:       tw.w.Namespace,
				Name:            tw.w.Name + "-template",
				Labels:          tw.tmpl.Labels,
				Annotations:     map[string]string{TemplateAnnotation: tw.w.Kind + "/" + tw.w.Name},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: tw.w.Kind, Name: tw.w.Name, Controller: &yes}},
			},
			Spec: tw.tmpl.Spec,
		}
		s.Pods = append(s.Pods, pod)
		s.Origins[OriginKey("Pod", pod.Namespace, pod.Name)] = tw.origin
		made = append(made, tw.w.String())
	}
	if len(made) > 0 {
		sort.Strings(made)
		shown := made
		if len(shown) > 5 {
			shown = append(append([]string{}, made[:5]...), fmt.Sprintf("and %d more", len(made)-5))
		}
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d workload(s) without pods in the files (%s): each is judged as one pod built from its template, without an IP", len(made), strings.Join(shown, ", ")))
		s.Assume(AssumptionTemplatePods, fmt.Sprintf("%s without pods in the files %s judged as one pod built from its template, without an IP: %s",
			plural(len(made), "workload"), map[bool]string{true: "is", false: "are"}[len(made) == 1], shortList(made, 5)))
	}
}

// TemplateAnnotation marks pods made from a workload's template.
const TemplateAnnotation = "netaudit.kubectl.io/from-template"
