// The CRDs of the v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy,
// which network-policy-api v0.3.0 (the module the tool reads) no longer
// ships: the e2e tests install them from this pinned release's
// config/crd/experimental, fetched from the Go module proxy into the module
// cache by `go mod download` in this folder.
module github.com/kubectl-netaudit/kubectl-netaudit/hack/tools/crds

go 1.26.0

require sigs.k8s.io/network-policy-api v0.1.7
