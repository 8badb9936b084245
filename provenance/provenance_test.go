package provenance

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden statements")

var fixedTime = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

var subjects = []Subject{{Name: "registry.example.com/acme/app", Digest: map[string]string{"sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}}}

// recordedEnv reads a KEY=VALUE file; relative paths in values (the event
// file) resolve against the file's directory.
func recordedEnv(t *testing.T, path string) Env {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		if k == "GITHUB_EVENT_PATH" {
			v = filepath.Join(filepath.Dir(path), v)
		}
		vars[k] = v
	}
	return Env{Getenv: func(k string) string { return vars[k] }, ReadFile: os.ReadFile, Now: func() time.Time { return fixedTime }}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./provenance -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, d)
	}
}

func statement(t *testing.T, src Source, opts ...Option) []byte {
	t.Helper()
	st, err := Statement(src, subjects, append([]Option{WithBuilderVersion("v0.1.0")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGitHubGoldens(t *testing.T) {
	for _, c := range []string{"push-branch", "tag-push", "pull-request", "workflow-dispatch", "reusable"} {
		t.Run(c, func(t *testing.T) {
			src, err := Detect(recordedEnv(t, filepath.Join("testdata", "github", c, "env")))
			if err != nil {
				t.Fatal(err)
			}
			if src.Kind() != "github-actions" {
				t.Fatalf("Detect() = %s, want github-actions", src.Kind())
			}
			golden(t, "github-"+c+".v1.json", statement(t, src))
			if c == "push-branch" {
				golden(t, "github-"+c+".v02.json", statement(t, src, WithSLSAVersion("0.2")))
			}
		})
	}
}

func TestTektonGoldens(t *testing.T) {
	env := Env{Getenv: func(string) string { return "" }, ReadFile: os.ReadFile, Now: func() time.Time { return fixedTime }}
	for _, c := range []string{"taskrun", "pipelinerun"} {
		t.Run(c, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "tekton", c+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			src, err := FromTektonRun(data, env)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "tekton-"+c+".v1.json", statement(t, src))
			if c == "taskrun" {
				golden(t, "tekton-"+c+".v02.json", statement(t, src, WithSLSAVersion("0.2")))
			}
		})
	}
	t.Run("env", func(t *testing.T) {
		src, err := Detect(recordedEnv(t, filepath.Join("testdata", "tekton", "env")))
		if err != nil {
			t.Fatal(err)
		}
		if src.Kind() != "tekton" {
			t.Fatalf("Detect() = %s, want tekton", src.Kind())
		}
		golden(t, "tekton-env.v1.json", statement(t, src))
	})
}

func TestLocal(t *testing.T) {
	env := Env{Getenv: func(string) string { return "" }, ReadFile: os.ReadFile, Now: func() time.Time { return fixedTime }}
	src, err := Detect(env)
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind() != "local" {
		t.Fatalf("Detect(empty env) = %s, want local", src.Kind())
	}
	b := statement(t, NewLocal(env, "git+https://github.com/acme/app", "0123456789abcdef0123456789abcdef01234567"))
	golden(t, "local.v1.json", b)
	for _, ci := range []string{"github.com/acme", "actions.github.io", "tekton.dev"} {
		if bytes.Contains(b, []byte(ci)) && ci != "github.com/acme" {
			t.Errorf("a local build claims %s", ci)
		}
	}
	if !bytes.Contains(b, []byte(LocalBuilderID)) {
		t.Error("a local build does not name the local builder")
	}
}

func TestErrors(t *testing.T) {
	env := func(vars map[string]string) Env {
		return Env{Getenv: func(k string) string { return vars[k] }, ReadFile: os.ReadFile, Now: time.Now}
	}
	// A detected CI with broken data is an error, never a local build.
	if _, err := Detect(env(map[string]string{"GITHUB_ACTIONS": "true"})); err == nil {
		t.Error("Detect(GitHub without context) error = nil")
	}
	if _, err := Detect(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "a/b", "GITHUB_SHA": "short", "GITHUB_REF": "refs/heads/main", "GITHUB_RUN_ID": "1", "GITHUB_WORKFLOW_REF": "a/b/.github/workflows/x.yml@refs/heads/main"})); err == nil || !strings.Contains(err.Error(), "not a commit") {
		t.Errorf("Detect(bad sha) error = %v", err)
	}
	if _, err := Detect(env(map[string]string{"TOLLGATE_TEKTON_TASKRUN_NAME": "x", "TOLLGATE_TEKTON_PARAMS": "[1,2"})); err == nil {
		t.Error("Detect(bad TOLLGATE_TEKTON_PARAMS) error = nil")
	}
	for _, bad := range []string{"kind: ConfigMap\nmetadata: {name: x}\nspec: {}\n", "kind: TaskRun\nspec: {}\n", "kind: TaskRun\nmetadata: {name: x}\n", "{"} {
		if _, err := FromTektonRun([]byte(bad), env(nil)); err == nil {
			t.Errorf("FromTektonRun(%q) error = nil", bad)
		}
	}
	if _, err := Statement(NewLocal(env(nil), "", ""), nil); err == nil {
		t.Error("Statement(no subjects) error = nil")
	}
	if _, err := Statement(NewLocal(env(nil), "", ""), subjects, WithSLSAVersion("0.3")); err == nil {
		t.Error("Statement(v0.3) error = nil")
	}
}

// FuzzFromTektonRun: any bytes as a run object never panic.
func FuzzFromTektonRun(f *testing.F) {
	for _, n := range []string{"taskrun.yaml", "pipelinerun.yaml"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "tekton", n)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("kind: TaskRun\nmetadata: {name: x}\nspec: {params: [1, {name: 2}], taskRef: []}\nstatus: {results: [{name: X-ARTIFACT_INPUTS, value: {uri: 1}}]}\n"))
	env := Env{Getenv: func(string) string { return "" }, ReadFile: os.ReadFile, Now: func() time.Time { return fixedTime }}
	f.Fuzz(func(t *testing.T, b []byte) {
		src, err := FromTektonRun(b, env)
		if err != nil {
			return
		}
		_, _ = Statement(src, subjects)
	})
}

// FuzzTektonParams: any TOLLGATE_TEKTON_PARAMS never panics.
func FuzzTektonParams(f *testing.F) {
	f.Add(`{"IMAGES":["a"],"X":1}`)
	f.Add(`{"a":{"b":[null,true]}}`)
	f.Fuzz(func(t *testing.T, params string) {
		vars := map[string]string{"TOLLGATE_TEKTON_TASKRUN_NAME": "x", "TOLLGATE_TEKTON_PARAMS": params}
		src, err := Detect(Env{Getenv: func(k string) string { return vars[k] }, ReadFile: os.ReadFile, Now: func() time.Time { return fixedTime }})
		if err != nil {
			return
		}
		_, _ = Statement(src, subjects)
	})
}
