package ci

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(vars map[string]string, stdout *bytes.Buffer) Env {
	return Env{
		Getenv: func(k string) string { return vars[k] },
		Stat:   os.Stat,
		Stdout: stdout,
	}
}

var report = Report{Command: "verify", Items: []Item{
	{Image: "registry.example.com/app:v1", Digest: "registry.example.com/app@sha256:aaaa", OK: true, Result: "verified"},
	{Image: "registry.example.com/other:v1", Digest: "registry.example.com/other@sha256:bbbb", OK: true, Result: "verified"},
	{Image: "registry.example.com/bad:v1", OK: false, Result: "denied", Detail: "no signatures found\nat all | really"},
}}

func TestDetect(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{}, "local"},
		{map[string]string{"GITHUB_ACTIONS": "true"}, "github-actions"},
		{map[string]string{"GITHUB_ACTIONS": "false"}, "local"},
		{map[string]string{"TOLLGATE_TEKTON_RESULTS_DIR": dir}, "tekton"},
		{map[string]string{"TOLLGATE_TEKTON_RESULTS_DIR": filepath.Join(dir, "missing")}, "local"},
		{map[string]string{"GITHUB_ACTIONS": "true", "TOLLGATE_CI": "none"}, "local"},
		{map[string]string{"TOLLGATE_CI": "github"}, "github-actions"},
	}
	for _, tc := range tests {
		r, err := Detect(env(tc.vars, &bytes.Buffer{}))
		if err != nil {
			t.Fatalf("Detect(%v) error = %v", tc.vars, err)
		}
		if r.Name() != tc.want {
			t.Errorf("Detect(%v) = %s, want %s", tc.vars, r.Name(), tc.want)
		}
	}
	for _, bad := range []map[string]string{{"TOLLGATE_CI": "jenkins"}, {"TOLLGATE_CI": "tekton", "TOLLGATE_TEKTON_RESULTS_DIR": filepath.Join(dir, "missing")}} {
		if _, err := Detect(env(bad, &bytes.Buffer{})); err == nil {
			t.Errorf("Detect(%v) error = nil", bad)
		}
	}
}

func TestGitHub(t *testing.T) {
	dir := t.TempDir()
	out, sum := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	var stdout bytes.Buffer
	r, err := Detect(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": sum}, &stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(report); err != nil {
		t.Fatal(err)
	}
	outputs := read(t, out)
	for _, want := range []string{"image<<", "registry.example.com/app@sha256:aaaa", "digest<<", "sha256:aaaa", "images<<", "registry.example.com/app@sha256:aaaa\nregistry.example.com/other@sha256:bbbb\n"} {
		if !strings.Contains(outputs, want) {
			t.Errorf("GITHUB_OUTPUT = %q, want it to contain %q", outputs, want)
		}
	}
	s := read(t, sum)
	for _, want := range []string{"### tollgate verify", "| `registry.example.com/app:v1` | `sha256:aaaa` | ✅ verified |", "| `registry.example.com/bad:v1` | `` | ❌ denied | no signatures found at all \\| really |"} {
		if !strings.Contains(s, want) {
			t.Errorf("GITHUB_STEP_SUMMARY = %q, want it to contain %q", s, want)
		}
	}
	if got, want := stdout.String(), "::error title=tollgate verify::registry.example.com/bad:v1: denied: no signatures found at all | really\n"; got != want {
		t.Errorf("annotations = %q, want %q", got, want)
	}
}

func TestTekton(t *testing.T) {
	dir := t.TempDir()
	r, err := Detect(env(map[string]string{"TOLLGATE_TEKTON_RESULTS_DIR": dir}, &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(report); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"IMAGE_DIGEST": "sha256:aaaa",
		"IMAGE_URL":    "registry.example.com/app",
		"IMAGES":       "registry.example.com/app@sha256:aaaa\nregistry.example.com/other@sha256:bbbb",
	} {
		if got := read(t, filepath.Join(dir, name)); got != want {
			t.Errorf("result %s = %q, want %q", name, got, want)
		}
	}
	// Nothing succeeded: no IMAGE_DIGEST, and an empty IMAGES.
	dir2 := t.TempDir()
	r2, _ := Detect(env(map[string]string{"TOLLGATE_TEKTON_RESULTS_DIR": dir2}, &bytes.Buffer{}))
	if err := r2.Publish(Report{Command: "verify", Items: report.Items[2:]}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir2, "IMAGE_DIGEST")); !os.IsNotExist(err) {
		t.Errorf("IMAGE_DIGEST written for a denied image: %v", err)
	}
	if got := read(t, filepath.Join(dir2, "IMAGES")); got != "" {
		t.Errorf("IMAGES = %q, want empty", got)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
