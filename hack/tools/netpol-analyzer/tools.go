//go:build tools

// Package tools pins np-guard's netpol-analyzer, the peer `make bench`
// compares kubectl-netaudit with; hack/netpol-analyzer.sh builds it.
package tools

import _ "github.com/np-guard/netpol-analyzer/cmd/netpolicy"
