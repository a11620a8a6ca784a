package inventory

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// policyDoc is a NetworkPolicy in shop with the given spec (flow-style YAML).
func policyDoc(name, spec string) string {
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: shop}\nspec: " + spec + "\n"
}

func TestFromFilesRejectsWhatTheAPIServerRejects(t *testing.T) {
	ingress := func(peer string) string {
		return "{podSelector: {}, ingress: [{from: [{podSelector: {}}, " + peer + "]}]}"
	}
	port := func(p string) string { return "{podSelector: {}, egress: [{ports: [" + p + "]}]}" }
	tests := []struct {
		name, spec string
		// want are the fragments the error must hold: the field path and what is wrong.
		want []string
	}{
		{"except outside its cidr", ingress("{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}}"),
			[]string{"spec.ingress[0].from[1].ipBlock.except[0]", "must be a strict subset of `cidr`"}},
		{"except equal to its cidr", ingress("{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}}"),
			[]string{"spec.ingress[0].from[1].ipBlock.except[0]", "strict subset"}},
		{"host bits set", ingress("{ipBlock: {cidr: 10.0.0.1/8}}"),
			[]string{"spec.ingress[0].from[1].ipBlock.cidr", "bits set beyond the prefix length", `write "10.0.0.0/8" for the network, or 10.0.0.1/32 for the one address`, "before Kubernetes 1.36"}},
		{"leading zeros", ingress("{ipBlock: {cidr: 010.0.0.0/8}}"),
			[]string{"spec.ingress[0].from[1].ipBlock.cidr", "leading 0s", `write "10.0.0.0/8"`}},
		{"leading zeros in except", ingress("{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/016]}}"),
			[]string{"spec.ingress[0].from[1].ipBlock.except[0]", "leading 0s"}},
		{"ipv4-mapped", ingress("{ipBlock: {cidr: '::ffff:10.0.0.0/104'}}"),
			[]string{"ipBlock.cidr", "IPv4-mapped"}},
		{"not a cidr", ingress("{ipBlock: {cidr: 10.0.0.0}}"), []string{"ipBlock.cidr", "must be a valid CIDR"}},
		{"empty cidr", ingress("{ipBlock: {cidr: ''}}"), []string{"spec.ingress[0].from[1].ipBlock.cidr: Required value"}},
		{"ipBlock with a selector", ingress("{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}"),
			[]string{"spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer"}},
		{"empty peer", ingress("{}"), []string{"spec.ingress[0].from[1]: Required value: must specify a peer"}},
		{"port name too long", port("{port: a-very-long-port-name}"), []string{"spec.egress[0].ports[0].port", "no more than 15 characters"}},
		{"port name upper case", port("{port: HTTP}"), []string{"spec.egress[0].ports[0].port", "a-z, 0-9"}},
		{"port name without letter", port("{port: '8080'}"), []string{"spec.egress[0].ports[0].port", "at least one letter"}},
		{"port name double hyphen", port("{port: a--b}"), []string{"consecutive hyphens"}},
		{"port name leading hyphen", port("{port: -web}"), []string{"must not begin or end with a hyphen"}},
		{"port zero", port("{port: 0}"), []string{"spec.egress[0].ports[0].port", "between 1 and 65535"}},
		{"port too big", port("{port: 70000}"), []string{"spec.egress[0].ports[0].port", "between 1 and 65535"}},
		{"endPort below port", port("{port: 80, endPort: 79}"), []string{"spec.egress[0].ports[0].endPort", "greater than or equal to `port`"}},
		{"endPort too big", port("{port: 80, endPort: 70000}"), []string{"spec.egress[0].ports[0].endPort", "between 1 and 65535"}},
		{"endPort with a named port", port("{port: web, endPort: 90}"), []string{"spec.egress[0].ports[0].endPort", "non-numeric"}},
		{"endPort without port", port("{endPort: 90}"), []string{"spec.egress[0].ports[0].endPort", "not specified"}},
		{"protocol", port("{protocol: ICMP}"), []string{"spec.egress[0].ports[0].protocol", `Unsupported value: "ICMP"`}},
		{"policyTypes value", "{podSelector: {}, policyTypes: [ingress]}", []string{"spec.policyTypes[0]", `Unsupported value: "ingress"`}},
		{"three policyTypes", "{podSelector: {}, policyTypes: [Ingress, Egress, Ingress]}", []string{"spec.policyTypes", "more than two"}},
		{"selector operator", "{podSelector: {matchExpressions: [{key: app, operator: Is, values: [a]}]}}",
			[]string{"spec.podSelector.matchExpressions[0].operator", "not a valid selector operator"}},
		{"selector value", "{podSelector: {matchLabels: {app: 'a b'}}}", []string{"spec.podSelector.matchLabels", "a valid label must be"}},
		{"selector key", ingress("{namespaceSelector: {matchLabels: {'bad key!': x}}}"), []string{"spec.ingress[0].from[1].namespaceSelector.matchLabels"}},
		{"In without values", "{podSelector: {matchExpressions: [{key: app, operator: In}]}}", []string{"spec.podSelector.matchExpressions[0].values: Required value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n" + policyDoc("web", tt.spec)
			_, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(input)})
			if err == nil {
				t.Fatalf("got no error, want one naming %q", tt.want)
			}
			var invalid *InvalidError
			if !asInvalid(err, &invalid) {
				t.Errorf("got %T (%v), want an *InvalidError", err, err)
			}
			for _, w := range append([]string{"-: document 1 (line 5): NetworkPolicy shop/web would be rejected by the API server"}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestFromFilesAcceptsValidEdgeCases(t *testing.T) {
	for _, spec := range []string{
		"{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.0.0.1/32]}}]}]}",
		"{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}}]}]}",
		"{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: '2001:DB8:0:0::/64'}}]}]}", // not canonical but allowed: only the IPv4 leading-zero and host-bit forms are rejected
		"{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}",
		"{podSelector: {}, egress: [{ports: [{port: web-8080}, {port: 1, endPort: 65535}, {protocol: SCTP, port: 80, endPort: 80}]}]}",
		"{podSelector: {}, policyTypes: [Ingress, Ingress]}",
		"{podSelector: {matchExpressions: [{key: app, operator: Exists}]}, policyTypes: [Egress]}",
	} {
		input := policyDoc("ok", spec)
		if _, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(input)}); err != nil {
			t.Errorf("spec %s: got %v, want it accepted as the API server accepts it", spec, err)
		}
	}
}

// A live cluster may hold policies an older API server accepted: they are
// audited as stored, with a warning naming the object and the field.
func TestFromClusterWarnsAboutStoredInvalidPolicies(t *testing.T) {
	old := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "shop"},
		Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.1/8", Except: []string{"010.1.0.0/16"}}}},
		}}},
	}
	ok := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "ok", Namespace: "shop"}}
	cs := fake.NewSimpleClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, old, ok)
	snap, err := FromCluster(context.Background(), cs, ClusterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Policies) != 2 {
		t.Fatalf("got %d policies, want both audited as stored", len(snap.Policies))
	}
	var got []string
	for _, w := range snap.Warnings {
		if strings.Contains(w, "would be rejected") {
			got = append(got, w)
		}
	}
	if len(got) != 1 {
		t.Fatalf("got warnings %q, want one about shop/old", snap.Warnings)
	}
	for _, want := range []string{"NetworkPolicy shop/old", "audited as stored", "spec.ingress[0].from[0].ipBlock.cidr", "spec.ingress[0].from[0].ipBlock.except[0]", "leading 0s"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("got warning %q, want it to contain %q", got[0], want)
		}
	}
}

func asInvalid(err error, target **InvalidError) bool { return errors.As(err, target) }

func TestFromFilesRejectsTiersOutsideTheirSchema(t *testing.T) {
	many := func(n int, item string) string {
		items := make([]string, n)
		for i := range items {
			items[i] = item
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	peer := "{namespaces: {}}"
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"cnp priority", "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\nspec: {tier: Admin, priority: 1001, subject: {namespaces: {}}}\n",
			[]string{"ClusterNetworkPolicy p would be rejected", "spec.priority: Invalid value: 1001: must be from 0 to 1000"}},
		{"cnp too many rules", "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: " + many(26, "{action: Deny, from: ["+peer+"]}") + "}\n",
			[]string{"spec.ingress: Too many: 26: must have at most 25 items"}},
		{"cnp too many peers", "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: " + many(26, peer) + "}]}\n",
			[]string{"spec.egress[0].to: Too many: 26"}},
		{"cnp no peers", "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: []}]}\n",
			[]string{"spec.egress[0].to: Required value"}},
		{"cnp empty protocols", "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [" + peer + "], protocols: []}]}\n",
			[]string{"spec.egress[0].protocols", "at least 1 item"}},
		{"anp priority", "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: -1, subject: {namespaces: {}}}\n",
			[]string{"AdminNetworkPolicy a would be rejected", "spec.priority"}},
		{"anp rule name", "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: a}\nspec: {priority: 1, subject: {namespaces: {}}, ingress: [{name: " + strings.Repeat("n", 101) + ", action: Deny, from: [" + peer + "]}]}\n",
			[]string{"spec.ingress[0].name: Too long"}},
		{"banp too many rules", "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\nspec: {subject: {namespaces: {}}, egress: " + many(101, "{action: Deny, to: ["+peer+"]}") + "}\n",
			[]string{"BaselineAdminNetworkPolicy default would be rejected", "spec.egress: Too many: 101"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(tt.doc)})
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			for _, w := range append([]string{"-: document 0 (line 1): "}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
		})
	}
	// At the limits, each is accepted.
	ok := "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\nspec: {tier: Admin, priority: 1000, subject: {namespaces: {}}, ingress: " + many(25, "{action: Deny, from: "+many(25, peer)+"}") + "}\n"
	if _, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(ok)}); err != nil {
		t.Errorf("got %v for a ClusterNetworkPolicy at every limit", err)
	}
}
