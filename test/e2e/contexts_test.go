package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/report"
)

// second is the suite's second API server, started by the first test that
// asks for it and stopped after the last (an API server costs about 5 s of
// CPU to start). Tests write only their own objects to it.
var second struct {
	once sync.Once
	cfg  *rest.Config
	err  error
	stop func() error
}

// multiKubeconfig writes a kubeconfig with contexts "first" (the suite's
// server), "second" (the second server) and "closed" (a closed port).
func multiKubeconfig(t *testing.T) string {
	t.Helper()
	second.once.Do(func() {
		env := &envtest.Environment{ControlPlaneStartTimeout: time.Minute, ControlPlaneStopTimeout: time.Minute}
		cfg, err := env.Start()
		if err != nil {
			second.err = fmt.Errorf("starting a second envtest: %w", err)
			return
		}
		second.stop = env.Stop
		user, err := env.AddUser(envtest.User{Name: "second-admin", Groups: []string{"system:masters"}}, cfg)
		if err != nil {
			second.err = err
			return
		}
		second.cfg = user.Config()
	})
	if second.err != nil {
		t.Fatal(second.err)
	}
	first := firstAdmin(t)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := writeKubeconfig(path, map[string]*rest.Config{
		"first":  first,
		"second": second.cfg,
		"closed": unreachable(first),
	}, "first"); err != nil {
		t.Fatal(err)
	}
	return path
}

// firstAdmin reads the admin credentials of the suite's own kubeconfig.
func firstAdmin(t *testing.T) *rest.Config {
	t.Helper()
	data, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientConfigFor(data, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestAllContexts(t *testing.T) {
	applyManifests(t, "testdata/inventory.yaml")
	kc := multiKubeconfig(t)
	env := []string{"KUBECONFIG=" + kc}

	start := time.Now()
	r := kubectlEnv(t, env, "", "netaudit", "--all-contexts", "-o", "json")
	elapsed := time.Since(start)
	if r.code != 6 {
		t.Fatalf("got exit code %d, want 6 (some contexts could not be read)\n%s", r.code, r.stderr)
	}
	if elapsed > time.Minute {
		t.Errorf("took %v", elapsed)
	}
	var list report.ContextList
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("decoding: %v\n%s", err, r.stdout)
	}
	if list.Kind != "AuditReportList" || list.Summary.Contexts != 3 || list.Summary.Succeeded != 2 || list.Summary.Failed != 1 {
		t.Errorf("got kind %s summary %+v, want AuditReportList with 2 of 3 contexts", list.Kind, list.Summary)
	}
	var names []string
	for _, it := range list.Items {
		names = append(names, it.Context)
		switch it.Context {
		case "closed":
			if it.Error == nil || it.Result != nil || !strings.Contains(it.Error.Message, "cannot reach API server https://127.0.0.1:1") || it.Error.Code != 4 {
				t.Errorf("closed: got %+v, want a connection error with code 4", it.Error)
			}
		default:
			if it.Error != nil {
				t.Errorf("%s: unexpected error %+v", it.Context, it.Error)
				continue
			}
			b, _ := json.Marshal(it.Result)
			var rep report.AuditReport
			if err := json.Unmarshal(b, &rep); err != nil || rep.Kind != "AuditReport" || rep.Source.Context != it.Context {
				t.Errorf("%s: got %s report for %q (%v)", it.Context, rep.Kind, rep.Source.Context, err)
			}
		}
	}
	if strings.Join(names, ",") != "closed,first,second" {
		t.Errorf("got contexts %v, want closed,first,second in order", names)
	}
	if !strings.Contains(r.stderr, "Error: [closed]") || !strings.Contains(r.stderr, "1 of 3 contexts could not be read") {
		t.Errorf("stderr does not name the failed context:\n%s", r.stderr)
	}

	// The same run twice is byte-identical, so nightly diffs mean something.
	again := kubectlEnv(t, env, "", "netaudit", "--all-contexts", "-o", "json")
	if again.stdout != r.stdout {
		t.Errorf("two runs differ")
	}

	// A list of contexts, table output with a section per context.
	r = kubectlEnv(t, env, "", "netaudit", "policies", "--context", "second,first")
	if r.code != 0 || strings.Index(r.stdout, "=== context second ===") > strings.Index(r.stdout, "=== context first ===") || !strings.Contains(r.stdout, "allow-web") {
		t.Errorf("exit %d, want sections for second then first:\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	// One file per context.
	dir := filepath.Join(t.TempDir(), "out")
	r = kubectlEnv(t, env, "", "netaudit", "--all-contexts", "-o", "json", "--output-dir", dir, "--parallel", "1")
	if r.code != 6 {
		t.Errorf("--output-dir: exit %d, want 6", r.code)
	}
	for _, f := range []string{"first.json", "second.json", "closed.error.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("--output-dir: %v", err)
		}
	}

	// -o html: one page with a section per context, or one page each.
	r = kubectlEnv(t, env, "", "netaudit", "--all-contexts", "-o", "html", "-q")
	if r.code != 6 || strings.Count(r.stdout, `<section class="report"`) != 3 || strings.Count(r.stdout, `class="map-data"`) != 2 ||
		!strings.Contains(r.stdout, "<h2>Context closed</h2>") || !strings.Contains(r.stdout, `<p class="error">`) {
		t.Errorf("-o html: exit %d, want 6 and one page with a section per context (two maps, one error)", r.code)
	}
	dir = filepath.Join(t.TempDir(), "html")
	r = kubectlEnv(t, env, "", "netaudit", "--all-contexts", "-o", "html", "--output-dir", dir, "-q")
	for _, f := range []string{"first.html", "second.html", "closed.error.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("-o html --output-dir: %v", err)
		}
	}

	// Baseline across contexts: entries carry their context.
	base := filepath.Join(t.TempDir(), "baseline.yaml")
	r = kubectlEnv(t, env, "", "netaudit", "--context", "first,second", "--write-baseline", base, "--fail-on", "low", "-q")
	if r.code != 1 || r.stderr != "" {
		t.Errorf("write baseline: exit %d stderr %q, want 1 and silence with -q", r.code, r.stderr)
	}
	r = kubectlEnv(t, env, "", "netaudit", "--context", "first,second", "--ignore", base, "--fail-on", "low", "-o", "json")
	if r.code != 0 {
		t.Errorf("with the baseline: exit %d, want 0\n%s", r.code, r.stderr)
	}
}
