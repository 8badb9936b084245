package act

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// releaseVersion is the version the example workflow pins in its setup step.
const releaseVersion = "v0.1.0"

const password = "correct horse battery staple"

var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
)

// releaseBinary builds tollgate from the tree as version v0.1.0 (what the
// setup action pins) once per test binary, and returns its directory.
func releaseBinary(t *testing.T) string {
	t.Helper()
	releaseOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tollgate-release-")
		if err != nil {
			releaseErr = err
			return
		}
		cmd := exec.Command("go", "build", "-trimpath",
			"-ldflags", "-X github.com/tollgate-dev/tollgate/cmd/tollgate/cli.Version="+releaseVersion,
			"-o", filepath.Join(dir, "tollgate"), "./cmd/tollgate")
		cmd.Dir = harness.Root()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			releaseErr = fmt.Errorf("building tollgate %s: %v\n%s", releaseVersion, err, out)
		}
		releaseDir = dir
	})
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if releaseDir != "" {
		os.RemoveAll(releaseDir)
	}
	os.Exit(code)
}

// world is a registry, a key pair, and a git repository holding a copy of
// examples/ and actions/ whose release policy names the registry and the key.
type world struct {
	t    *testing.T
	reg  *harness.Registry
	env  *harness.Env // runs tollgate and crane outside the workflow
	repo string
	key  string // the encrypted private key, PEM
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, reg: harness.StartRegistry(t), env: harness.NewEnv(t)}
	w.env.Set("COSIGN_PASSWORD", password)
	w.env.MustRun(harness.Tollgate(t), "generate-key-pair")
	key, err := os.ReadFile(filepath.Join(w.env.Dir, "cosign.key"))
	if err != nil {
		t.Fatal(err)
	}
	w.key = string(key)

	w.repo = t.TempDir()
	for _, d := range []string{"examples", "actions"} {
		copyTree(t, filepath.Join(harness.Root(), d), filepath.Join(w.repo, d))
	}
	// The example policy with this test's registry and key in place of the
	// example's: the policy text is otherwise the one users copy.
	pub, err := os.ReadFile(filepath.Join(w.env.Dir, "cosign.pub"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.repo, "examples/policies/cosign.pub"), string(pub))
	policy := filepath.Join(w.repo, "examples/policies/tollgate.yaml")
	text := readFile(t, policy)
	if !strings.Contains(text, "registry.example.com/") {
		t.Fatalf("%s no longer names registry.example.com; update this test", policy)
	}
	writeFile(t, policy, strings.ReplaceAll(text, "registry.example.com", w.reg.Addr))
	writeFile(t, filepath.Join(w.repo, ".github/workflows/release.yml"),
		readFile(t, filepath.Join(w.repo, "examples/github/release.yml")))

	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = w.repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "example")
	git("remote", "add", "origin", "https://github.com/tollgate-dev/example.git")
	return w
}

// buildImage pushes the example app as an image with crane, as the workflow's
// build step does, and returns its digest reference.
func (w *world) buildImage(repo string) string {
	w.t.Helper()
	layer := filepath.Join(w.env.Dir, "layer.tar")
	cmd := exec.Command("tar", "-C", filepath.Join(w.repo, "examples/app"), "-cf", layer, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("tar: %v\n%s", err, out)
	}
	// A distinct layer per image, so the images have distinct digests.
	f, err := os.OpenFile(layer, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	fmt.Fprintf(f, "%s", repo)
	f.Close()
	r := w.env.MustRun(harness.Tool(w.t, "crane"), "append", "--new_layer", layer, "--new_tag", w.reg.Addr+"/"+repo+":v1")
	return strings.TrimSpace(r.Stdout)
}

// record is one line of act's --json output.
type record struct {
	JobID      string   `json:"jobID"`
	Step       string   `json:"step"`
	StepID     []string `json:"stepID"`
	Stage      string   `json:"stage"`
	Msg        string   `json:"msg"`
	Command    string   `json:"command"`
	Name       string   `json:"name"`
	Arg        string   `json:"arg"`
	Content    string   `json:"content"`
	StepResult string   `json:"stepResult"`
	JobResult  string   `json:"jobResult"`
}

type run struct {
	code    int
	records []record
	stderr  string
}

func (r run) String() string {
	var b strings.Builder
	for _, rec := range r.records {
		if strings.Contains(rec.Msg, "LocalRepositoryCache") {
			continue
		}
		fmt.Fprintf(&b, "%s/%s: %s\n", rec.JobID, rec.Step, strings.TrimRight(rec.Msg, "\n"))
	}
	return fmt.Sprintf("act exit %d\n%s--- stderr\n%s", r.code, b.String(), r.stderr)
}

// stepResult is the main-stage result of the top-level step named name in job.
func (r run) stepResult(job, name string) string {
	for _, rec := range r.records {
		if rec.JobID == job && rec.Step == name && rec.Stage == "Main" && len(rec.StepID) == 1 && rec.StepResult != "" {
			return rec.StepResult
		}
	}
	return ""
}

// output is the value a top-level step of job set for name.
func (r run) output(job, stepID, name string) string {
	for _, rec := range r.records {
		if rec.JobID == job && rec.Command == "set-output" && len(rec.StepID) > 0 && rec.StepID[0] == stepID && rec.Name == name {
			return rec.Arg
		}
	}
	return ""
}

// summaries are the GITHUB_STEP_SUMMARY contents job's steps wrote.
func (r run) summaries(job string) string {
	var b strings.Builder
	for _, rec := range r.records {
		if rec.JobID == job && rec.Command == "summary" && len(rec.StepID) == 1 {
			b.WriteString(rec.Content)
		}
	}
	return b.String()
}

// errors are the ::error:: annotations of job.
func (r run) errors(job string) []string {
	var out []string
	seen := map[string]bool{}
	for _, rec := range r.records {
		if rec.JobID == job && rec.Command == "error" && !seen[rec.Arg] {
			seen[rec.Arg] = true
			out = append(out, rec.Arg)
		}
	}
	return out
}

// act runs the example workflow for event in the world's repository, with
// tollgate v0.1.0 and crane on PATH.
func (w *world) act(event string, extra ...string) run {
	w.t.Helper()
	path := []string{releaseBinary(w.t), filepath.Dir(harness.Tool(w.t, "crane"))}
	return w.actWith(".github/workflows/release.yml", path, event, extra...)
}

// actWith runs workflow for event with the directories path first on PATH.
func (w *world) actWith(workflow string, path []string, event string, extra ...string) run {
	w.t.Helper()
	home := w.t.TempDir()
	env := harness.NewEnv(w.t)
	env.Dir = w.repo
	env.Set("HOME", home)
	env.Set("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	env.Set("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	// The setup action uses a tollgate it finds on PATH when it reports the
	// pinned version.
	env.Set("PATH", strings.Join(append(path, os.Getenv("PATH")), string(os.PathListSeparator)))
	env.Set("DOCKER_HOST", "")
	// Secrets are passed by name (act reads them from its environment), never
	// on the command line.
	env.Set("COSIGN_PRIVATE_KEY", w.key)
	env.Set("COSIGN_PASSWORD", password)
	args := []string{event,
		"-W", workflow,
		"-P", "ubuntu-latest=-self-hosted",
		"--pull=false", "--action-offline-mode", "--no-cache-server",
		"--local-repository", "tollgate-dev/tollgate@" + releaseVersion + "=" + w.repo,
		"--var", "REGISTRY=" + w.reg.Addr,
		"-s", "COSIGN_PRIVATE_KEY", "-s", "COSIGN_PASSWORD",
		// GitHub sets it for every run; act v0.2.82 does not.
		"--env", "GITHUB_WORKFLOW_REF=tollgate-dev/example/.github/workflows/release.yml@refs/heads/main",
		"--json",
	}
	res := env.Run(harness.Tool(w.t, "act"), append(args, extra...)...)
	out := run{code: res.Code, stderr: res.Stderr}
	sc := bufio.NewScanner(strings.NewReader(res.Stdout))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var rec record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			w.t.Fatalf("act printed a line that is not JSON: %q: %v", sc.Text(), err)
		}
		out.records = append(out.records, rec)
	}
	if len(out.records) == 0 {
		w.t.Fatalf("act printed no records:\n%s", res)
	}
	// Neither the private key nor its password reaches the log.
	for _, secret := range append(strings.Split(w.key, "\n")[1:], password) {
		if len(secret) > 8 && !strings.HasPrefix(secret, "-----") && (strings.Contains(res.Stdout, secret) || strings.Contains(res.Stderr, secret)) {
			w.t.Fatalf("a secret appears in act's output")
		}
	}
	return out
}

// TestReleaseWorkflow runs the example workflow on a push: the image is
// built, signed, attested, verified against the example policy and promoted,
// and what arrives at the destination verifies with the key and carries the
// workflow's provenance.
func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.act("push")
	if r.code != 0 {
		t.Fatalf("the workflow failed:\n%s", r)
	}
	for _, s := range []struct{ job, step string }{
		{"build", "Build"}, {"build", "Sign"}, {"build", "Attest provenance"},
		{"gate", "Verify"}, {"gate", "Promote"},
	} {
		if got := r.stepResult(s.job, s.step); got != "success" {
			t.Errorf("%s/%s: result %q, want success\n%s", s.job, s.step, got, r)
		}
	}
	built := r.output("build", "build", "image")
	signed := r.output("build", "sign", "image")
	if !strings.HasPrefix(built, w.reg.Addr+"/tollgate-example/app@sha256:") || signed != built {
		t.Fatalf("build output %q, sign output %q: want the same digest reference in %s", built, signed, w.reg.Addr)
	}
	digest := strings.SplitN(built, "@", 2)[1]
	if got := r.output("build", "sign", "digest"); got != digest {
		t.Errorf("sign digest output %q, want %q", got, digest)
	}
	if got := r.output("gate", "verify", "image"); got != built {
		t.Errorf("verify image output %q, want %q", got, built)
	}
	for job, want := range map[string][]string{
		"build": {"### tollgate sign", "✅ signed", "### tollgate attest", "✅ attested", "https://slsa.dev/provenance/v1"},
		"gate":  {"### tollgate verify", "✅ verified", "tollgate-example-release", "### tollgate promote"},
	} {
		summary := r.summaries(job)
		for _, s := range want {
			if !strings.Contains(summary, s) {
				t.Errorf("%s summary lacks %q:\n%s", job, s, summary)
			}
		}
		if !strings.Contains(summary, digest) {
			t.Errorf("%s summary does not name %s:\n%s", job, digest, summary)
		}
	}

	// At the destination: the same digest, a signature the key verifies, and
	// provenance naming this workflow.
	dst := w.reg.Addr + "/tollgate-example/release:latest"
	tg := harness.Tollgate(t)
	v := w.env.MustRun(tg, "verify", "--key", "cosign.pub", dst)
	if strings.TrimSpace(v.Stdout) != w.reg.Addr+"/tollgate-example/release@"+digest {
		t.Errorf("verify at the destination printed %q, want the promoted digest %s", v.Stdout, digest)
	}
	a := w.env.MustRun(tg, "verify-attestation", "--key", "cosign.pub", "--type", "slsaprovenance1", dst)
	for _, want := range []string{
		`"buildType":"https://actions.github.io/buildtypes/workflow/v1"`,
		`tollgate-dev/example/.github/workflows/release.yml@refs/heads/main`,
		`"event_name":"push"`,
	} {
		if !strings.Contains(compact(t, a.Stdout), want) {
			t.Errorf("the provenance at the destination lacks %s:\n%s", want, a.Stdout)
		}
	}
}

// TestReleaseWorkflowRefusesUnsigned gates an image nobody signed: the
// workflow stops at verify, the summary and an ::error:: annotation say which
// image and why, and nothing is promoted.
func TestReleaseWorkflowRefusesUnsigned(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	img := w.buildImage("tollgate-example/unsigned")
	r := w.act("workflow_dispatch", "--input", "image="+img)
	if r.code == 0 {
		t.Fatalf("the workflow passed an unsigned image:\n%s", r)
	}
	if got := r.stepResult("gate", "Verify"); got != "failure" {
		t.Fatalf("verify: result %q, want failure\n%s", got, r)
	}
	if got := r.stepResult("gate", "Promote"); got != "" {
		t.Errorf("promote ran (result %q) after verify failed\n%s", got, r)
	}
	summary := r.summaries("gate")
	for _, want := range []string{"❌ denied", img, "no signatures found"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the gate summary lacks %q:\n%s", want, summary)
		}
	}
	errs := r.errors("gate")
	if len(errs) != 1 || !strings.HasPrefix(errs[0], img+": denied by policy") || !strings.Contains(errs[0], "no signatures found") {
		t.Errorf("::error:: annotations %q: want one naming %s and the reason", errs, img)
	}
	if tags, err := harness.ListTags(w.reg.Addr + "/tollgate-example/release"); err == nil && len(tags) > 0 {
		t.Errorf("the destination has tags %v after a refused image", tags)
	}
}

// TestReleaseWorkflowRefusesLocalProvenance gates an image signed with the
// release key whose provenance says it was built on a laptop: the policy's
// condition on the builder refuses it, and the reason names the condition.
func TestReleaseWorkflowRefusesLocalProvenance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	img := w.buildImage("tollgate-example/laptop")
	tg := harness.Tollgate(t)
	w.env.MustRun(tg, "sign", "--key", "cosign.key", img)
	w.env.MustRun(tg, "attest", "--key", "cosign.key", "--provenance", img)
	r := w.act("workflow_dispatch", "--input", "image="+img)
	if r.code == 0 {
		t.Fatalf("the workflow passed an image with local provenance:\n%s", r)
	}
	if got := r.stepResult("gate", "Verify"); got != "failure" {
		t.Fatalf("verify: result %q, want failure\n%s", got, r)
	}
	summary := r.summaries("gate")
	for _, want := range []string{"❌ denied", "cel[0]", "https://tollgate.dev/builders/local"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the gate summary lacks %q:\n%s", want, summary)
		}
	}
	if tags, err := harness.ListTags(w.reg.Addr + "/tollgate-example/release"); err == nil && len(tags) > 0 {
		t.Errorf("the destination has tags %v after a refused image", tags)
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			b.WriteString(line)
			continue
		}
		out, _ := json.Marshal(v)
		b.Write(out)
	}
	return b.String()
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
