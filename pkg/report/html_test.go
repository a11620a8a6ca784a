package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
	"github.com/kubectl-netaudit/kubectl-netaudit/test/bench/gen"
)

// artifacts is where the browser tests leave their screenshots (ignored by
// git); NETAUDIT_ARTIFACTS overrides it.
func artifacts(name string) string {
	dir := os.Getenv("NETAUDIT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts", "browser")
	}
	return filepath.Join(dir, name)
}

func auditPage(t *testing.T, snap *inventory.Snapshot, context string) (HTMLPage, *NetworkMap) {
	t.Helper()
	model, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	res, err := audit.Run(snap, model, audit.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rep := NewAuditReport(snap, res, 0, AuditOptions{IPBlockMatchesPods: true, WideIPv4Prefix: 8, WideIPv6Prefix: 32, FailOn: "none"})
	s := AuditHTMLSection(snap, model, rep)
	s.Context = context
	return HTMLPage{Title: "Audit", ToolVersion: "test", Sections: []HTMLSection{s}}, s.Map
}

func writePage(t *testing.T, page HTMLPage) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, page); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, b.Bytes()
}

var mapDataRE = regexp.MustCompile(`(?s)<script type="application/json" class="map-data">(.*?)</script>`)

// Names from the cluster or the kubeconfig cannot inject markup or script:
// the page holds exactly the script elements it writes, no comment opener,
// and the names come back unchanged from the embedded JSON.
func TestHTMLHostileNames(t *testing.T) {
	hostile := []string{
		`</script><script>window.pwned=1</script>`,
		`"quoted" 'single' \back`,
		`<!--comment`,
		"unicode é 名前 \u2028line\u2029sep 🙂",
		`<img src=x onerror="window.pwned=2">`,
	}
	snap := &inventory.Snapshot{Source: inventory.Source{Kind: inventory.SourceFiles, Files: []string{`</script><b>file</b>.yaml`}}}
	for i, name := range hostile {
		ns := "ns-" + string(rune('a'+i)) + name
		snap.Namespaces = append(snap.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": "x"}}})
		snap.Pods = append(snap.Pods, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "a"}},
			Status:     corev1.PodStatus{PodIP: "10.0.0." + string(rune('1'+i))},
		})
	}
	// One namespace isolated, so findings name the others.
	snap.Policies = append(snap.Policies, networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: hostile[0], Namespace: snap.Namespaces[0].Name},
		Spec:       networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}},
	})
	page, m := auditPage(t, snap, `</script><script>window.pwned=3</script>`)
	path, html := writePage(t, page)
	s := string(html)

	scripts := 2 + len(page.Sections) // vendored, own, one map per section
	if got := strings.Count(strings.ToLower(s), "</script"); got != scripts {
		t.Errorf("%d </script in the page, want the %d the page writes", got, scripts)
	}
	if got := strings.Count(strings.ToLower(s), "<script"); got != scripts {
		t.Errorf("%d <script in the page, want %d", got, scripts)
	}
	if strings.Contains(s, "<!--") {
		t.Error("the page holds <!--, which would change how the script elements parse")
	}
	if strings.Contains(s, "<img") || strings.Contains(s, "<b>file") {
		t.Error("a name reached the page as markup")
	}
	match := mapDataRE.FindStringSubmatch(s)
	if match == nil {
		t.Fatal("no map data in the page")
	}
	var got NetworkMap
	if err := json.Unmarshal([]byte(match[1]), &got); err != nil {
		t.Fatalf("the embedded map is not JSON: %v", err)
	}
	if len(got.Nodes) != len(hostile) {
		t.Fatalf("%d nodes in the embedded map, want %d", len(got.Nodes), len(hostile))
	}
	names := map[string]bool{}
	for _, n := range got.Nodes {
		names[strings.TrimPrefix(n.Label, "pod/")] = true
	}
	for _, h := range hostile {
		if !names[h] {
			t.Errorf("name %q did not come back unchanged from the embedded JSON (got %v)", h, names)
		}
	}
	if len(m.Nodes) != len(got.Nodes) {
		t.Errorf("map has %d nodes, page %d", len(m.Nodes), len(got.Nodes))
	}

	// And in a browser: nothing runs but the report, and the labels are the names.
	b := startBrowser(t, 1400, 1000)
	b.open(path, 20*time.Second)
	var pwned any
	b.eval(`window.pwned === undefined ? null : window.pwned`, &pwned)
	if pwned != nil {
		t.Errorf("a hostile name ran script: window.pwned = %v", pwned)
	}
	var labels []string
	b.eval(`netaudit.sections[0].cy.nodes('[kind = "node"]').map(function (n) { return n.data('label'); })`, &labels)
	for _, l := range labels {
		if !names[strings.TrimPrefix(l, "pod/")] {
			t.Errorf("the map shows %q, not one of the names", l)
		}
	}
	var heading string
	b.eval(`document.querySelector('section.report h2').textContent`, &heading)
	if heading != "Context </script><script>window.pwned=3</script>" {
		t.Errorf("context heading reads %q", heading)
	}
	errs, reqs := b.errorsAndRequests()
	if len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	checkRequests(t, path, reqs)
}

// openBudget is the time a page may take to open: the given budget on a
// machine with a core to spare, stretched by the load average when more
// processes than cores want to run (a shared CI runner), so that a busy
// machine does not fail the test. The log line says which budget applied.
func openBudget(idle time.Duration) time.Duration {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return idle
	}
	var load float64
	if _, err := fmt.Sscan(string(data), &load); err != nil {
		return idle
	}
	if f := load / float64(runtime.NumCPU()); f > 1 {
		return time.Duration(float64(idle) * f)
	}
	return idle
}

func checkRequests(t *testing.T, path string, reqs []string) {
	t.Helper()
	abs, _ := filepath.Abs(path)
	for _, r := range reqs {
		if r != "file://"+abs {
			t.Errorf("the page fetched %s: it must load nothing", r)
		}
	}
}

// The demo's report in a real browser: no console errors, the map's nodes
// and edges, an edge click shows explain's reasons, nothing fetched with the
// network off; a screenshot is left in artifacts/browser.
func TestHTMLInBrowser(t *testing.T) {
	snap, _ := demoModel(t)
	page, m := auditPage(t, snap, "")
	path, html := writePage(t, page)
	t.Logf("demo report: %d bytes", len(html))
	if len(html) >= 1<<20 {
		t.Errorf("the demo's report is %d bytes, want under 1 MB", len(html))
	}
	if m.Collapsed {
		t.Fatalf("the demo's map is collapsed: %s", m.CollapseReason)
	}

	b := startBrowser(t, 1400, 1100)
	took := b.open(path, 20*time.Second)
	t.Logf("demo report ready in %v", took)
	var info struct {
		Nodes, Edges int
		View         string
	}
	b.eval(`(function (s) { return {nodes: s.nodes, edges: s.edges, view: s.view}; })(netaudit.sections[0])`, &info)
	wantNodes := len(m.Nodes)
	if len(m.Outside) > 0 {
		wantNodes++
	}
	if info.View != "nodes" || info.Nodes != wantNodes || info.Edges != len(m.Edges) {
		t.Errorf("the map shows %d nodes and %d edges (%s view), want %d and %d (nodes view)", info.Nodes, info.Edges, info.View, wantNodes, len(m.Edges))
	}

	// Click the edge web -> db where it is drawn, and read the panel.
	var at struct{ X, Y float64 }
	b.eval(`(function () {
		var s = netaudit.sections[0], cy = s.cy;
		var e = cy.edges().filter(function (e) { return e.source().data('ref') === 'shop/deployment/web' && e.target().data('ref') === 'shop/statefulset/db'; })[0];
		cy.container().scrollIntoView();
		var r = cy.container().getBoundingClientRect(), p = e.renderedMidpoint();
		return {x: r.left + p.x, y: r.top + p.y};
	})()`, &at)
	b.click(at.X, at.Y)
	var panel, selected string
	b.eval(`document.querySelector('section.report .panel').textContent`, &panel)
	b.eval(`netaudit.sections[0].cy.edges(':selected').map(function (e) { return e.id(); }).join(',')`, &selected)
	for _, want := range []string{"shop/deployment/web → shop/statefulset/db", "ALLOWED", "allowed by shop/db ingress rule 1", "kubectl netaudit explain --from shop/deployment/web --to shop/statefulset/db --port 5432/TCP"} {
		if !strings.Contains(panel, want) {
			t.Errorf("after clicking the edge web -> db (selected: %q) the panel reads %q, want it to hold %q", selected, panel, want)
		}
	}
	b.screenshot(artifacts("demo-report.png"))

	errs, reqs := b.errorsAndRequests()
	if len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	checkRequests(t, path, reqs)
}

// A 10,000-pod audit's report opens collapsed within 10 s.
func TestHTMLTenThousandPods(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 pods: not with -short")
	}
	snap := gen.Generate(gen.Config{Pods: 10000, Seed: 1})
	start := time.Now()
	page, m := auditPage(t, snap, "")
	path, html := writePage(t, page)
	t.Logf("10,000 pods: %d namespaces, %d workloads, %d edges embedded (%d omitted), %d namespace edges, %d explanations; report %d bytes, built in %v",
		len(m.Namespaces), len(m.Nodes), len(m.Edges), m.OmittedEdges, len(m.NamespaceEdges), len(m.Explanations), len(html), time.Since(start))
	if !m.Collapsed {
		t.Fatal("the map of 10,000 pods is not collapsed")
	}
	b := startBrowser(t, 1400, 1100)
	took := b.open(path, 120*time.Second)
	budget := openBudget(10 * time.Second)
	t.Logf("10,000 pods: report ready in the browser in %v (budget %v)", took, budget)
	if took > budget {
		t.Errorf("the report took %v to open, want under %v", took, budget)
	}
	var info struct {
		Nodes, Edges, LayoutMs int
		View                   string
	}
	b.eval(`(function (s) { return {nodes: s.nodes, edges: s.edges, view: s.view, layoutMs: s.layoutMs}; })(netaudit.sections[0])`, &info)
	t.Logf("10,000 pods: %d nodes, %d edges drawn, layout %d ms", info.Nodes, info.Edges, info.LayoutMs)
	want := len(m.Namespaces)
	if len(m.Outside) > 0 {
		want++
	}
	if info.View != "namespaces" || info.Nodes != want || info.Edges != len(m.NamespaceEdges) {
		t.Errorf("the map shows %d nodes and %d edges (%s view), want %d and %d (namespaces view)", info.Nodes, info.Edges, info.View, want, len(m.NamespaceEdges))
	}
	b.screenshot(artifacts("10k-pods-report.png"))
	errs, reqs := b.errorsAndRequests()
	if len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	checkRequests(t, path, reqs)
}

// TestHTMLScreenshot takes the README's picture of a report the binary
// wrote (make readme-screenshot): it opens NETAUDIT_SCREENSHOT_OF, clicks the
// edge between the two named workloads, and saves NETAUDIT_SCREENSHOT_TO.
func TestHTMLScreenshot(t *testing.T) {
	in, out := os.Getenv("NETAUDIT_SCREENSHOT_OF"), os.Getenv("NETAUDIT_SCREENSHOT_TO")
	if in == "" || out == "" {
		t.Skip("make readme-screenshot sets NETAUDIT_SCREENSHOT_OF and NETAUDIT_SCREENSHOT_TO")
	}
	b := startBrowser(t, 1400, 1320)
	b.open(in, 60*time.Second)
	var at struct{ X, Y float64 }
	b.eval(`(function () {
		var cy = netaudit.sections[0].cy;
		var e = cy.edges().filter(function (e) { return e.source().data('ref') === 'shop/deployment/web' && e.target().data('ref') === 'shop/statefulset/db'; })[0];
		var r = cy.container().getBoundingClientRect(), p = e.renderedMidpoint();
		window.scrollTo(0, 0);
		return {x: r.left + p.x, y: r.top + p.y};
	})()`, &at)
	b.click(at.X, at.Y)
	var panel string
	b.eval(`document.querySelector('section.report .panel').textContent`, &panel)
	if !strings.Contains(panel, "ALLOWED") {
		t.Fatalf("the click did not show the explanation: %q", panel)
	}
	b.screenshot(out)
	if errs, _ := b.errorsAndRequests(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// The diff's page: each change is an edge, opened or closed, whose click
// shows the verdicts before and after.
func TestDiffHTMLInBrowser(t *testing.T) {
	d := diffFixture(t)
	s := DiffHTMLSection(d)
	path, html := writePage(t, HTMLPage{Title: "Policy diff", ToolVersion: "test", Sections: []HTMLSection{s}})
	if len(html) >= 1<<20 {
		t.Errorf("the demo diff's page is %d bytes, want under 1 MB", len(html))
	}
	want := 0
	for _, c := range d.Changes {
		want += len(c.From)
	}
	if len(s.Map.Edges) != want || want == 0 {
		t.Fatalf("the map has %d edges, want one per change and source: %d", len(s.Map.Edges), want)
	}
	b := startBrowser(t, 1400, 1100)
	b.open(path, 60*time.Second)
	var info struct{ Edges, Opened, Closed int }
	b.eval(`(function (s) { return {edges: s.edges, opened: s.cy.edges('[effect = "opened"]').length, closed: s.cy.edges('[effect = "closed"]').length}; })(netaudit.sections[0])`, &info)
	if info.Edges != want || info.Opened+info.Closed != want || info.Opened != d.Summary.Opened {
		t.Errorf("the map draws %d edges (%d opened, %d closed), want %d with %d opened", info.Edges, info.Opened, info.Closed, want, d.Summary.Opened)
	}
	var at struct{ X, Y float64 }
	b.eval(`(function () {
		var cy = netaudit.sections[0].cy, e = cy.edges('[effect = "opened"]')[0];
		cy.container().scrollIntoView();
		var r = cy.container().getBoundingClientRect(), p = e.renderedMidpoint();
		return {x: r.left + p.x, y: r.top + p.y};
	})()`, &at)
	b.click(at.X, at.Y)
	var panel string
	b.eval(`document.querySelector('section.report .panel').textContent`, &panel)
	for _, w := range []string{"opened on", "before: DENIED", "after: ALLOWED"} {
		if !strings.Contains(panel, w) {
			t.Errorf("after clicking an opened edge the panel reads %q, want %q in it", panel, w)
		}
	}
	b.screenshot(artifacts("demo-diff.png"))
	errs, reqs := b.errorsAndRequests()
	if len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
	checkRequests(t, path, reqs)
}
