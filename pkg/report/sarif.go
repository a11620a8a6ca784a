package report

import (
	"fmt"
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
	Tool sarifTool `json:"tool"`
	// AutomationDetails names the context a run audited, so that code
	// scanning keeps the runs of several clusters apart.
	AutomationDetails *sarifAutomation `json:"automationDetails,omitempty"`
	// Invocations is set for a context that could not be audited: its
	// notification says why.
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	// Properties hold the context, what the verdicts assumed and left out,
	// and the policies outside the model.
	Properties *sarifRunProperties `json:"properties,omitempty"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifRunProperties struct {
	Context         string                      `json:"context,omitempty"`
	Assumptions     []inventory.Assumption      `json:"assumptions"`
	OutsidePolicies []inventory.OutsidePolicies `json:"outsidePolicies,omitempty"`
	Error           *ContextError               `json:"error,omitempty"`
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

// SARIFInput is one audit to write as a SARIF run: its report, or the
// error that kept a context from being audited.
type SARIFInput struct {
	// Context names the kubeconfig context of a multi-context run.
	Context string
	Report  *AuditReport
	Snap    *inventory.Snapshot
	Error   *ContextError
}

// WriteSARIFRuns writes one SARIF log with a run per audit (one per
// context when several were audited). A context that failed is a run
// without results whose invocation failed, with a notification saying why:
// missing from the log, it would read as a clean audit.
func WriteSARIFRuns(w io.Writer, audits []SARIFInput, toolVersion string) error {
	runs := []sarifRun{}
	for _, a := range audits {
		if a.Error != nil {
			runs = append(runs, sarifFailedRun(a, toolVersion))
			continue
		}
		run := sarifRunOf(a.Report, a.Snap, toolVersion)
		if a.Context != "" {
			run.Properties.Context = a.Context
			run.AutomationDetails = &sarifAutomation{ID: sarifAutomationID(a.Context)}
		}
		runs = append(runs, run)
	}
	return WriteJSON(w, sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: runs})
}

// sarifAutomationID is "kubectl-netaudit/<context>/": the category code
// scanning files the run under is the part before the last slash.
func sarifAutomationID(context string) string { return "kubectl-netaudit/" + context + "/" }

func sarifDriverOf(toolVersion string) sarifTool {
	return sarifTool{Driver: sarifDriver{
		Name:           "kubectl-netaudit",
		Version:        toolVersion,
		InformationURI: "https://github.com/kubectl-netaudit/kubectl-netaudit",
		Rules:          []sarifRule{},
	}}
}

func sarifFailedRun(a SARIFInput, toolVersion string) sarifRun {
	text := fmt.Sprintf("context %s could not be audited: %s", a.Context, a.Error.Message)
	if a.Error.Hint != "" {
		text += " Hint: " + a.Error.Hint
	}
	return sarifRun{
		Tool:              sarifDriverOf(toolVersion),
		AutomationDetails: &sarifAutomation{ID: sarifAutomationID(a.Context)},
		Invocations: []sarifInvocation{{ExecutionSuccessful: false, ToolExecutionNotifications: []sarifNotification{{
			Level: "error", Message: sarifText{Text: text},
		}}}},
		Results:    []sarifResult{},
		Properties: &sarifRunProperties{Context: a.Context, Assumptions: []inventory.Assumption{}, Error: a.Error},
	}
}

func sarifRunOf(r *AuditReport, snap *inventory.Snapshot, toolVersion string) sarifRun {
	run := sarifRun{Tool: sarifDriverOf(toolVersion), Results: []sarifResult{},
		Properties: &sarifRunProperties{Assumptions: r.Assumptions, OutsidePolicies: r.OutsidePolicies}}
	if snap.Source.Kind == inventory.SourceCluster && snap.Source.Context != "" {
		run.Properties.Context = snap.Source.Context
		run.AutomationDetails = &sarifAutomation{ID: sarifAutomationID(snap.Source.Context)}
	}
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
