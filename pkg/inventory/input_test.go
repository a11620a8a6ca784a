package inventory

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	nsShop   = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n"
	denyShop = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n"
	openShop = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n"
)

// TestDuplicates: a base and an overlay copy of one policy used to be both
// enforced; the same Namespace in two files was counted twice.
func TestDuplicates(t *testing.T) {
	dir := t.TempDir()
	writeTemp(t, dir, "base/policy.yaml", nsShop+"---\n"+denyShop)
	writeTemp(t, dir, "overlay/policy.yaml", nsShop+"---\n# the overlay opens it\n"+openShop)

	_, err := FromFiles(FileOptions{Paths: []string{dir}, Recursive: true})
	var dup *DuplicateError
	if !errors.As(err, &dup) {
		t.Fatalf("got %v, want a DuplicateError", err)
	}
	want := "NetworkPolicy shop/web is defined twice, differently: at " + filepath.Join(dir, "base/policy.yaml") + ":5 and at " + filepath.Join(dir, "overlay/policy.yaml") + ":6"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("got %q, want it to contain %q", err, want)
	}

	snap, err := FromFiles(FileOptions{Paths: []string{dir}, Recursive: true, LastWins: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Namespaces) != 1 || len(snap.Policies) != 1 || len(snap.Policies[0].Spec.Ingress) != 1 {
		t.Fatalf("got %d namespaces and %d policies (%+v), want one of each, the overlay's", len(snap.Namespaces), len(snap.Policies), snap.Policies)
	}
	if got := snap.Origins[OriginKey("NetworkPolicy", "shop", "web")].File; got != filepath.Join(dir, "overlay/policy.yaml") {
		t.Errorf("origin %s, want the overlay", got)
	}
	warned := strings.Join(snap.Warnings, "\n")
	if !strings.Contains(warned, "replaces the one at "+filepath.Join(dir, "base/policy.yaml")+":5") || !strings.Contains(warned, "1 object(s) defined more than once, identically (Namespace shop at") {
		t.Errorf("got warnings %q", snap.Warnings)
	}
}

// TestFinishedPods: pods in phase Succeeded or Failed are set aside, so the
// engine never sees them.
func TestFinishedPods(t *testing.T) {
	pod := func(name, phase, ip string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: shop}\nspec: {containers: [{name: c, image: i}]}\nstatus: {phase: " + phase + ", podIP: " + ip + "}\n---\n"
	}
	in := pod("done", "Succeeded", "10.0.0.5") + pod("crashed", "Failed", "10.0.0.6") + pod("web", "Running", "10.0.0.5") + pod("new", "Pending", "")
	snap, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(in)})
	if err != nil {
		t.Fatal(err)
	}
	_, pods, _ := names(snap)
	if strings.Join(pods, ",") != "shop/new,shop/web" || len(snap.FinishedPods) != 2 || snap.FinishedPods[0].Name != "crashed" {
		t.Fatalf("got pods %v and %d finished", pods, len(snap.FinishedPods))
	}
	if !strings.Contains(strings.Join(snap.Warnings, "\n"), "2 finished pod(s)") {
		t.Errorf("got warnings %q", snap.Warnings)
	}
}

// TestEmptyInput: nothing at all is an error unless allowed; a file of
// other kinds is not empty.
func TestEmptyInput(t *testing.T) {
	for _, in := range []string{"", "# nothing\n---\n", "\xef\xbb\xbf"} {
		_, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(in)})
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("%q: got %v, want ErrEmpty", in, err)
		}
		if _, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(in), AllowEmpty: true}); err != nil {
			t.Errorf("%q with AllowEmpty: %v", in, err)
		}
	}
	if _, err := FromFiles(FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")}); err != nil {
		t.Errorf("a ConfigMap: %v", err)
	}
}
