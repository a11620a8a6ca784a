//go:build tools

// Package tools pins the API server and etcd that the e2e tests run against.
// hack/envtest-assets.sh builds them from the Go module proxy.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
