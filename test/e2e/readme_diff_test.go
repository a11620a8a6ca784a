package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// readmeDiffStep returns the `diff` step of the README's pull-request
// workflow: its environment names and its script.
func readmeDiffStep(t *testing.T) (env map[string]string, script string) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.Split(string(data), "```yaml\n")[1:] {
		block = block[:strings.Index(block, "```")]
		if !strings.HasPrefix(block, "name: netaudit diff\n") {
			continue
		}
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Name string            `json:"name"`
					Env  map[string]string `json:"env"`
					Run  string            `json:"run"`
				} `json:"steps"`
			} `json:"jobs"`
		}
		if err := yaml.Unmarshal([]byte(block), &wf); err != nil {
			t.Fatalf("the README's pull-request workflow is not valid YAML: %v", err)
		}
		for _, s := range wf.Jobs["diff"].Steps {
			if s.Name == "diff" {
				return s.Env, s.Run
			}
		}
	}
	t.Fatal("the README has no pull-request workflow (a yaml block starting with \"name: netaudit diff\") with a step named diff")
	return nil, ""
}

// TestReadmePullRequestRecipe runs the README's pull-request step as
// written, in a clone of a throwaway repository whose main branch holds the
// demo: a head that opens the database to a partner network fails the
// check and the comment says so; a head that only closes paths passes.
// gh is a stand-in that keeps the comment.
func TestReadmePullRequestRecipe(t *testing.T) {
	env, script := readmeDiffStep(t)
	for _, name := range []string{"BASE_REF", "PR"} {
		if _, ok := env[name]; !ok {
			t.Fatalf("the diff step does not set %s", name)
		}
	}
	dir := t.TempDir()
	git := func(wd string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = wd
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.com", "GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	copyFile := func(from, to string) {
		t.Helper()
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The project: main holds the demo under deploy/.
	origin := filepath.Join(dir, "origin")
	git(dir, "init", "-q", "-b", "main", origin)
	copyFile("testdata/demo.yaml", filepath.Join(origin, "deploy", "demo.yaml"))
	git(origin, "add", ".")
	git(origin, "commit", "-q", "-m", "demo")

	// A fake gh that keeps the comment's body and arguments.
	ghDir := filepath.Join(dir, "gh")
	if err := os.MkdirAll(ghDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ghDir, "gh"), []byte("#!/bin/sh\nprintf '%s\\n' \"$*\" > \"$GH_LOG\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --body-file ] && cp \"$2\" \"$GH_BODY\"; shift; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	run := func(branch string, change func(checkout string)) (code int, body, ghArgs string) {
		t.Helper()
		checkout := filepath.Join(dir, branch)
		git(dir, "clone", "-q", origin, checkout)
		git(checkout, "checkout", "-q", "-b", branch)
		change(checkout)
		git(checkout, "add", ".")
		git(checkout, "commit", "-q", "-m", branch)
		runner := filepath.Join(dir, branch+"-runner")
		if err := os.MkdirAll(runner, 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		// GitHub runs a step's script with bash -e.
		cmd := exec.CommandContext(ctx, "bash", "-e", "-c", script)
		cmd.Dir = checkout
		cmd.Env = append(os.Environ(),
			"PATH="+binDir+string(os.PathListSeparator)+ghDir+string(os.PathListSeparator)+os.Getenv("PATH"),
			"KUBECONFIG="+kubeconfig, "HOME="+workDir, "GIT_CONFIG_GLOBAL=/dev/null",
			"RUNNER_TEMP="+runner, "BASE_REF=main", "PR=42",
			"GH_LOG="+filepath.Join(runner, "gh.log"), "GH_BODY="+filepath.Join(runner, "comment.md"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(runner, "comment.md"))
		a, _ := os.ReadFile(filepath.Join(runner, "gh.log"))
		if len(a) == 0 {
			t.Fatalf("%s: the step posted no comment (exit %d)\n%s", branch, code, stderr.String())
		}
		return code, string(b), string(a)
	}

	code, body, args := run("open-db", func(c string) {
		copyFile("testdata/diff/shop-db.yaml", filepath.Join(c, "deploy", "shop-db.yaml"))
		// The head's db policy replaces main's: drop the demo's own.
		demo, err := os.ReadFile(filepath.Join(c, "deploy", "demo.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		docs := strings.Split(string(demo), "\n---\n")
		var kept []string
		for _, d := range docs {
			if !strings.Contains(d, "metadata: {name: db, namespace: shop}\nspec:\n  podSelector") {
				kept = append(kept, d)
			}
		}
		if len(kept) != len(docs)-1 {
			t.Fatalf("could not find the demo's db policy")
		}
		if err := os.WriteFile(filepath.Join(c, "deploy", "demo.yaml"), []byte(strings.Join(kept, "\n---\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if code != 1 {
		t.Errorf("a head that opens a path: exit %d, want 1 (the gate)", code)
	}
	if args != "pr comment 42 --body-file netaudit-diff.md\n" {
		t.Errorf("gh was called with %q", args)
	}
	for _, want := range []string{"## kubectl netaudit diff", "### Opened (2)", "`shop/statefulset/db` | 203.0.113.0/24 | `TCP:5432`"} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}

	code, body, _ = run("isolate-legacy", func(c string) {
		copyFile("testdata/diff/legacy-default-deny.yaml", filepath.Join(c, "deploy", "legacy-default-deny.yaml"))
	})
	if code != 0 {
		t.Errorf("a head that only closes paths: exit %d, want 0", code)
	}
	if !strings.Contains(body, ":warning: Likely breakage") || strings.Contains(body, "### Opened") {
		t.Errorf("the comment should call out breakage and open nothing:\n%s", body)
	}
}
