package report

import (
	"bytes"
	"testing"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/reach"
)

func demoModel(t *testing.T) (*inventory.Snapshot, *reach.Model) {
	t.Helper()
	snap, err := inventory.FromFiles(inventory.FileOptions{Paths: []string{"../../test/e2e/testdata/demo.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	model, err := reach.Build(snap, reach.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return snap, model
}

func TestMatrixGolden(t *testing.T) {
	snap, model := demoModel(t)
	for _, level := range []reach.Level{reach.ByWorkload, reach.ByPod} {
		doc := NewReachabilityMatrix(snap, model.Matrix(level), MatrixFilter{})
		for name, print := range map[string]func(*bytes.Buffer) error{
			"matrix-" + level.String() + ".txt":      func(b *bytes.Buffer) error { return PrintMatrixTable(b, doc, false, false) },
			"matrix-" + level.String() + "-wide.txt": func(b *bytes.Buffer) error { return PrintMatrixTable(b, doc, true, false) },
			"matrix-" + level.String() + ".json":     func(b *bytes.Buffer) error { return WriteJSON(b, doc) },
			"matrix-" + level.String() + ".csv":      func(b *bytes.Buffer) error { return PrintMatrixCSV(b, doc, false) },
			"matrix-" + level.String() + ".dot":      func(b *bytes.Buffer) error { return PrintMatrixDot(b, doc) },
		} {
			t.Run(name, func(t *testing.T) {
				var b bytes.Buffer
				if err := print(&b); err != nil {
					t.Fatal(err)
				}
				golden(t, name, b.Bytes())
			})
		}
	}
}

func TestExplainAndVerifyGolden(t *testing.T) {
	snap, model := demoModel(t)
	target := func(ref string) inventory.Target {
		tg, err := snap.Resolve(ref)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	var b bytes.Buffer
	for _, c := range []struct {
		from, to string
		port     int32
		proto    reach.Protocol
	}{
		{"shop/deployment/web", "shop/statefulset/db", 5432, reach.TCP},
		{"shop/cronjob/report", "shop/statefulset/db", 5432, reach.TCP},
		{"legacy/deployment/billing", "shop/deployment/web", 8080, reach.TCP},
		{"203.0.113.7", "shop/deployment/web", 8080, reach.TCP},
		{"shop/deployment/web", "kube-system/deployment/coredns", 53, reach.UDP},
	} {
		e := Explain(snap, model, target(c.from), target(c.to), c.port, c.proto)
		if err := PrintExplanation(&b, e); err != nil {
			t.Fatal(err)
		}
		b.WriteString("\n")
	}
	golden(t, "explain.txt", b.Bytes())

	allowed, denied := true, false
	rep := &VerifyReport{APIVersion: APIVersion, Kind: "VerifyReport", Source: snap.Source}
	for _, x := range []Expectation{
		{From: "shop/deployment/web", To: "shop/statefulset/db", Port: 5432, Protocol: "TCP", Allowed: &allowed},
		{From: "shop/cronjob/report", To: "shop/statefulset/db", Port: 5432, Protocol: "TCP", Allowed: &allowed},
		{From: "legacy/deployment/billing", To: "shop/statefulset/db", Port: 5432, Protocol: "TCP", Allowed: &denied},
	} {
		res := NewVerifyResult(Explain(snap, model, target(x.From), target(x.To), x.Port, reach.Protocol(x.Protocol)), *x.Allowed)
		if res.Pass {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Results = append(rep.Results, res)
	}
	b.Reset()
	if err := PrintVerifyTable(&b, rep, true, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "verify-wide.txt", b.Bytes())
	b.Reset()
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "verify.json", b.Bytes())
}
