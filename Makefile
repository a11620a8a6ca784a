# kubectl-netaudit. `make test` is what CI runs (.ci/run).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
MODULE  := github.com/kubectl-netaudit/kubectl-netaudit
LDFLAGS := -s -w -X $(MODULE)/pkg/version.Version=$(VERSION)
GOBIN   ?= $(shell go env GOPATH)/bin
BIN     := bin/kubectl-netaudit

# Every go command here builds in one configuration, the release archives'
# (hack/dist.sh) and the e2e plugin's: no cgo, -trimpath. go vet, go test, the
# krew test's archive and the e2e binary then share the compiled dependencies in
# Go's build cache, which a fresh machine would otherwise compile three times
# (about 5 minutes of 2 cores each time).
export CGO_ENABLED := 0
export GOFLAGS := -trimpath $(GOFLAGS)

.PHONY: fuzz all build install test tests unit e2e vet fmt-check envtest dist dist-check krew-manifest krew clean bench readme-screenshot

all: build

## build: build bin/kubectl-netaudit
build:
	go build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kubectl-netaudit

## install: install kubectl-netaudit and its kubectl completion helper into GOBIN
install: build
	install -d $(GOBIN)
	install -m 0755 $(BIN) $(GOBIN)/kubectl-netaudit
	install -m 0755 hack/kubectl_complete-netaudit $(GOBIN)/kubectl_complete-netaudit
	@echo "installed into $(GOBIN); make sure it is on PATH, then run: kubectl netaudit"

## test: gofmt check, go vet, the krew install test, then unit and e2e tests (against a real API
## server) in one `go test` run, so that the e2e package, which waits on processes and the API server
## much of its time, runs beside the unit packages instead of after them
test: fmt-check vet krew tests

tests:
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" go test -count=1 -timeout 20m ./test/e2e/... ./pkg/... ./cmd/...

## unit: the unit tests alone
unit:
	go test -count=1 ./pkg/... ./cmd/...

## fuzz: fuzz the manifest splitter against kubectl's decoder, then reading a file in parts against
## reading it whole, for FUZZTIME each (default 30s); make test runs the fuzz targets on their seed
## corpora only, so that CI does not fail on a new random input
FUZZTIME ?= 30s
fuzz:
	go test -run '^$$' -fuzz '^FuzzSplitMatchesKubectl$$' -fuzztime $(FUZZTIME) ./pkg/inventory
	go test -run '^$$' -fuzz '^FuzzPartsMatchWhole$$' -fuzztime $(FUZZTIME) ./pkg/inventory

## e2e: the e2e tests alone: the built plugin through kubectl against envtest (builds kube-apiserver and etcd once, ~15 min)
e2e:
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" go test -count=1 -timeout 20m ./test/e2e/...

vet:
	go vet ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## dist: reproducible release archives for linux, darwin, windows on amd64, arm64 in dist/, with
## sha256sums.txt and the krew manifest for them (netaudit.yaml); see hack/dist.sh for the version rule
dist:
	VERSION='$(VERSION)' hack/dist.sh

## dist-check: the release check of dist/: all six archives install with krew (hack/krew-test.sh dist)
dist-check:
	hack/krew-test.sh dist

## krew-manifest: rewrite version, uri and sha256 in plugins/krew.yaml from dist/ (a release step)
krew-manifest:
	hack/krew-manifest.sh

## krew: build this platform's archive in a temp folder, validate the krew manifest (every platform's
## entry), install with krew offline, and run `kubectl netaudit --version` (builds krew v0.4.3 once
## into the cache, ~1 min); the six-platform build is `make dist dist-check`
krew:
	VERSION='$(VERSION)' hack/krew-test.sh

## envtest: print the folder with kube-apiserver and etcd, building them if needed
envtest:
	@hack/envtest-assets.sh

## bench: scale benchmarks, not part of test: Go benchmarks at 1k/10k/50k pods, the binary end to end
## on generated manifests, next to netpol-analyzer, and live against envtest next to kubectl get (about 5 minutes once the tools are cached)
bench:
	hack/bench.sh

## readme-screenshot: regenerate docs/html-report.png from the demo's real -o html output in headless Chromium
readme-screenshot: build
	hack/readme-screenshot.sh

clean:
	rm -rf bin dist artifacts
