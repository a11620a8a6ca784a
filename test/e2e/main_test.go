// Package e2e runs the built kubectl-netaudit binary through kubectl's plugin
// discovery against a real kube-apiserver and etcd (envtest). `make test`
// builds those binaries with hack/envtest-assets.sh and points
// KUBEBUILDER_ASSETS at them.
//
// The scenario tables (TestVerifyScenarios, TestTiersLiveAndFiles) run each
// scenario twice, live through `kubectl netaudit` and from its manifest; the
// manifest run starts the binary itself (pluginDirect): reading files involves
// neither kubectl nor the cluster, and kubectl's start is two thirds of a
// small run's cost. Every other run goes through kubectl.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// binVersion is stamped into the binary under test so tests can tell it
// from any other kubectl-netaudit on PATH.
const binVersion = "v0.0.0-e2e"

var (
	// admin is a clientset with cluster-admin rights for arranging fixtures.
	admin kubernetes.Interface
	// kubeconfig holds contexts "e2e" (admin, the current context),
	// "restricted" (may list pods in namespace x only) and "unreachable"
	// (a closed port).
	kubeconfig string
	// binDir holds kubectl-netaudit and kubectl_complete-netaudit.
	binDir string
	// workDir is a scratch folder removed after the run.
	workDir string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "e2e: KUBEBUILDER_ASSETS is not set; run 'make test', or KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/e2e/")
		return 1
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: kubectl is not on PATH; the tests run the plugin through kubectl's plugin discovery")
		return 1
	}
	var err error
	workDir, err = os.MkdirTemp("", "netaudit-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)

	// envtest logs through controller-runtime; without a logger it prints a
	// stack trace to say so.
	ctrllog.SetLogger(logr.Discard())
	env := &envtest.Environment{ControlPlaneStartTimeout: time.Minute, ControlPlaneStopTimeout: time.Minute}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: starting envtest: %v\n", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: stopping envtest: %v\n", err)
		}
	}()
	if err := setup(env, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer func() {
		if second.stop != nil {
			_ = second.stop()
		}
	}()
	return m.Run()
}

func setup(env *envtest.Environment, cfg *rest.Config) error {
	var err error
	if admin, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	adminUser, err := env.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		return err
	}
	restrictedUser, err := env.AddUser(envtest.User{Name: "e2e-restricted", Groups: []string{"e2e:restricted"}}, cfg)
	if err != nil {
		return err
	}
	if err := grantRestricted(); err != nil {
		return err
	}
	kubeconfig = filepath.Join(workDir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, map[string]*rest.Config{
		"e2e":         adminUser.Config(),
		"restricted":  restrictedUser.Config(),
		"unreachable": unreachable(adminUser.Config()),
	}, "e2e"); err != nil {
		return err
	}
	binDir = filepath.Join(workDir, "bin")
	return buildPlugin(binDir)
}

// grantRestricted lets group e2e:restricted list pods and networkpolicies in
// namespace x, and nothing cluster-wide.
func grantRestricted() error {
	ctx := context.Background()
	if err := ensureNamespace(ctx, "x", nil); err != nil {
		return err
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "netaudit-reader", Namespace: "x"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"get", "list"}},
		},
	}
	if _, err := admin.RbacV1().Roles("x").Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return err
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "netaudit-reader", Namespace: "x"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "netaudit-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "e2e:restricted"}},
	}
	_, err := admin.RbacV1().RoleBindings("x").Create(ctx, rb, metav1.CreateOptions{})
	return err
}

func unreachable(base *rest.Config) *rest.Config {
	c := rest.CopyConfig(base)
	c.Host = "https://127.0.0.1:1" // port 1 is closed: connection refused at once
	return c
}

func writeKubeconfig(path string, contexts map[string]*rest.Config, current string) error {
	kc := clientcmdapi.NewConfig()
	for name, c := range contexts {
		kc.Clusters[name] = &clientcmdapi.Cluster{Server: c.Host, CertificateAuthorityData: c.CAData}
		kc.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: c.CertData, ClientKeyData: c.KeyData, Token: c.BearerToken}
		kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	kc.CurrentContext = current
	return clientcmd.WriteToFile(*kc, path)
}

// buildPlugin builds the binary the way `make build` does and installs the
// completion helper beside it.
func buildPlugin(dir string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	exe := "kubectl-netaudit"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	// The release archives' configuration (hack/dist.sh): the krew test
	// and go test (the Makefile) have compiled the dependencies the same
	// way, so only this binary's link is new; without DWARF (-s -w, as
	// released) it takes a third less time.
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -X github.com/kubectl-netaudit/kubectl-netaudit/pkg/version.Version="+binVersion,
		"-o", filepath.Join(dir, exe), "./cmd/kubectl-netaudit")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the plugin: %v\n%s", err, out)
	}
	src, err := os.ReadFile(filepath.Join(root, "hack", "kubectl_complete-netaudit"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "kubectl_complete-netaudit"), src, 0o755)
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// result is what one kubectl invocation did.
type result struct {
	stdout, stderr string
	code           int
}

// kubectl runs `kubectl args...` with the plugin first on PATH and the e2e
// kubeconfig, so the binary is found by kubectl's own plugin discovery.
func kubectl(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return kubectlEnv(t, nil, stdin, args...)
}

// kubectlEnv is kubectl with extra environment variables, which win.
func kubectlEnv(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	return runEnv(t, "kubectl", env, stdin, args...)
}

// pluginDirect runs the built binary itself, not through kubectl, with the
// same environment as kubectlEnv: for runs on manifests of the scenario
// tables, whose live runs go through kubectl (see the package comment).
func pluginDirect(t *testing.T, env []string, args ...string) result {
	t.Helper()
	exe := "kubectl-netaudit"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	return runEnv(t, filepath.Join(binDir, exe), env, "", args...)
}

func runEnv(t *testing.T, name string, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(),
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"KUBECONFIG="+kubeconfig,
		"HOME="+workDir,
	)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s %s: %v", filepath.Base(name), strings.Join(args, " "), err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

// netaudit runs `kubectl netaudit args...` and fails the test unless it exits with want.
func netaudit(t *testing.T, want int, args ...string) result {
	t.Helper()
	r := kubectl(t, "", append([]string{"netaudit"}, args...)...)
	if r.code != want {
		t.Fatalf("kubectl netaudit %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// clientConfigFor reads one context of a kubeconfig.
func clientConfigFor(data []byte, context string) (*rest.Config, error) {
	cc, err := clientcmd.NewClientConfigFromBytes(data)
	if err != nil {
		return nil, err
	}
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, err
	}
	return clientcmd.NewNonInteractiveClientConfig(raw, context, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
}
