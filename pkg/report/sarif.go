package report

import (
	"io"
	"path/filepath"

	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/audit"
	"github.com/kubectl-netaudit/kubectl-netaudit/pkg/inventory"
)

// SARIF 2.1.0, as code-scanning UIs read it. Only the fields netaudit fills
// are modelled.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           map[string]string `json:"properties,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func sarifLevel(s audit.Severity) string {
	switch s {
	case audit.High:
		return "error"
	case audit.Medium:
		return "warning"
	}
	return "note"
}

// WriteSARIF writes the report as SARIF 2.1.0: one rule per check that ran,
// one result per finding. With manifests (-f), each result points at the
// file and line of the object to edit; the object is also named as a
// logical location, which is all a live cluster can offer.
func WriteSARIF(w io.Writer, r *AuditReport, snap *inventory.Snapshot, toolVersion string) error {
	return WriteSARIFRuns(w, []SARIFInput{{Report: r, Snap: snap}}, toolVersion)
}

// SARIFInput is one audit to write as a SARIF run.
type SARIFInput struct {
	Report *AuditReport
	Snap   *inventory.Snapshot
}

// WriteSARIFRuns writes one SARIF log with a run per audit (one per
// context when several were audited).
func WriteSARIFRuns(w io.Writer, audits []SARIFInput, toolVersion string) error {
	runs := []sarifRun{}
	for _, a := range audits {
		runs = append(runs, sarifRunOf(a.Report, a.Snap, toolVersion))
	}
	return WriteJSON(w, sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: runs})
}

func sarifRunOf(r *AuditReport, snap *inventory.Snapshot, toolVersion string) sarifRun {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{
		Name:           "kubectl-netaudit",
		Version:        toolVersion,
		InformationURI: "https://github.com/kubectl-netaudit/kubectl-netaudit",
		Rules:          []sarifRule{},
	}}, Results: []sarifResult{}}
	index := map[string]int{}
	for i, c := range r.Checks {
		index[c.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: c.ID, Name: c.Name,
			ShortDescription:     sarifText{Text: c.Summary},
			FullDescription:      sarifText{Text: c.Summary},
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(c.Severity)},
			Properties:           map[string]string{"severity": c.Severity.String()},
		})
	}
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID:              f.CheckID,
			RuleIndex:           index[f.CheckID],
			Level:               sarifLevel(f.Severity),
			Message:             sarifText{Text: f.Message + ". Fix: " + f.Fix + "."},
			PartialFingerprints: map[string]string{"netauditFinding/v1": f.Key()},
		}
		obj := f.Objects[0]
		loc := sarifLocation{LogicalLocations: []sarifLogical{{
			Name:               obj.String(),
			FullyQualifiedName: obj.Kind + "/" + obj.Namespace + "/" + obj.Name,
			Kind:               "object",
		}}}
		if o, ok := originOf(snap, obj); ok {
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(o.File)}, Region: &sarifRegion{StartLine: o.Line}}
		}
		res.Locations = []sarifLocation{loc}
		run.Results = append(run.Results, res)
	}
	return run
}

// originOf finds where an object was read from; a workload has no manifest
// of its own in the snapshot, so its first pod's is used.
func originOf(snap *inventory.Snapshot, o audit.Object) (inventory.Origin, bool) {
	if snap.Origins == nil {
		return inventory.Origin{}, false
	}
	switch o.Kind {
	case "NetworkPolicy", "Pod":
		og, ok := snap.Origins[inventory.OriginKey(o.Kind, o.Namespace, o.Name)]
		return og, ok && og.File != "-"
	case "Namespace":
		og, ok := snap.Origins[inventory.OriginKey(o.Kind, "", o.Name)]
		return og, ok && og.File != "-"
	}
	for i := range snap.Pods {
		p := &snap.Pods[i]
		if w := inventory.WorkloadOf(p); w.Namespace == o.Namespace && w.Kind == o.Kind && w.Name == o.Name {
			og, ok := snap.Origins[inventory.OriginKey("Pod", p.Namespace, p.Name)]
			return og, ok && og.File != "-"
		}
	}
	return inventory.Origin{}, false
}
