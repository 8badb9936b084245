package tekton

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/test/harness"
)

const password = "tekton secret password"

// world is a registry, tollgate, the Tasks of tasks/, and a signing Secret
// as `cosign generate-key-pair k8s://NS/NAME` lays it out.
type world struct {
	t        *testing.T
	reg      *harness.Registry
	env      *harness.Env
	tollgate string
	tasks    *catalog
	// secret is the signing-secret workspace: cosign.key, cosign.pub,
	// cosign.password.
	secret string
	// pub is the public key, outside the workspace.
	pub string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, reg: harness.StartRegistry(t), env: harness.NewEnv(t), tollgate: harness.Tollgate(t), tasks: mustLoadCatalog(t, "tasks")}
	w.env.Set("COSIGN_PASSWORD", password)
	w.env.MustRun(w.tollgate, "generate-key-pair")
	w.pub = filepath.Join(w.env.Dir, "cosign.pub")
	w.secret = filepath.Join(w.env.Dir, "signing-secret")
	if err := os.Mkdir(w.secret, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"cosign.key", "cosign.pub"} {
		copyFile(t, filepath.Join(w.env.Dir, f), filepath.Join(w.secret, f))
	}
	writeFile(t, filepath.Join(w.secret, "cosign.password"), password)
	return w
}

// task returns a Task of tasks/.
func (w *world) task(name string) *v1.TaskSpec {
	w.t.Helper()
	task, ok := w.tasks.Tasks[name]
	if !ok {
		w.t.Fatalf("tasks/ has no Task %s", name)
	}
	return task.Spec.DeepCopy()
}

// run runs a Task of tasks/ in namespace ci.
func (w *world) run(taskName, runName string, params v1.Params, workspaces map[string]string) *taskRunResult {
	w.t.Helper()
	return mustRunTask(w.t, taskRun{
		Name: runName, Namespace: "ci", UID: "0b5e1f3c-" + runName,
		TaskName: taskName, Spec: w.task(taskName),
		Params: params, Workspaces: workspaces,
	})
}

// policyDir writes a policy workspace: policy.yaml requiring a signature by
// the key for every image of the registry, and cosign.pub next to it.
func (w *world) policyDir() string {
	w.t.Helper()
	dir := filepath.Join(w.t.TempDir(), "policy")
	if err := os.Mkdir(dir, 0o755); err != nil {
		w.t.Fatal(err)
	}
	copyFile(w.t, w.pub, filepath.Join(dir, "cosign.pub"))
	writeFile(w.t, filepath.Join(dir, "policy.yaml"), fmt.Sprintf(`apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata:
  name: signed-by-ci
spec:
  images: [%q]
  signers:
  - name: ci
    entries:
    - name: ci-key
      key: {file: cosign.pub}
`, w.reg.Addr+"/*"))
	return dir
}

// mustSucceed fails the test unless the TaskRun succeeded.
func mustSucceed(t *testing.T, r *taskRunResult) {
	t.Helper()
	if !r.Succeeded {
		t.Fatalf("the TaskRun failed:\n%s", r)
	}
}

// wantResults checks the three results every tollgate Task writes.
func wantResults(t *testing.T, r *taskRunResult, digest, url string, images ...string) {
	t.Helper()
	want := map[string]string{"IMAGE_DIGEST": digest, "IMAGE_URL": url, "IMAGES": strings.Join(images, "\n")}
	for name, v := range want {
		got, ok := r.Results[name]
		switch {
		case !ok:
			t.Errorf("result %s was not written\n%s", name, r)
		case got != v:
			t.Errorf("result %s = %q, want %q\n%s", name, got, v, r)
		}
	}
}

// TestSignTask: tollgate-sign signs an image named by tag and one named by
// digest; its results name the digests, and tollgate verify accepts both.
func TestSignTask(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tag := w.reg.Addr + "/team/app:v1"
	app := harness.PushImage(t, tag)
	worker := harness.PushImage(t, w.reg.Addr+"/team/worker:v1")

	r := w.run("tollgate-sign", "sign-app-1", v1.Params{arrayParam("IMAGES", tag, worker.String())}, map[string]string{"signing-secret": w.secret})
	mustSucceed(t, r)
	wantResults(t, r, app.DigestStr(), app.Context().Name(), app.String(), worker.String())
	if argv := r.Steps[0].Argv; len(argv) < 3 || argv[len(argv)-2] != tag || argv[len(argv)-1] != worker.String() {
		t.Errorf("$(params.IMAGES[*]) did not expand to the two images at the end of the args: %q", argv)
	}
	for _, ref := range []string{tag, worker.String()} {
		w.env.MustRun(w.tollgate, "verify", "--key", w.pub, ref)
	}
	// An image the Task did not sign stays unsigned: verify can fail.
	other := harness.PushImage(t, w.reg.Addr+"/team/other:v1")
	if res := w.env.Run(w.tollgate, "verify", "--key", w.pub, other.String()); res.Code == 0 {
		t.Errorf("verify accepted an image nobody signed:\n%s", res)
	}
}

// TestAttestTask: tollgate-attest with PROVENANCE=true attaches SLSA v1
// provenance describing the TaskRun; verify-attestation accepts it and the
// statement names the TaskRun, its namespace and UID, and the source.
func TestAttestTask(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	img := harness.PushImage(t, w.reg.Addr+"/team/app:v1")
	const (
		runName = "attest-app-7"
		source  = "https://github.com/acme/app"
		commit  = "0123456789abcdef0123456789abcdef01234567"
	)
	r := mustRunTask(t, taskRun{
		Name: runName, Namespace: "release", UID: "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
		TaskName: "tollgate-attest", Spec: w.task("tollgate-attest"),
		Params: v1.Params{
			arrayParam("IMAGES", img.String()),
			stringParam("PROVENANCE", "true"),
			stringParam("SOURCE_URL", source),
			stringParam("SOURCE_REVISION", commit),
			stringParam("PIPELINE_RUN", "release-run-1"),
			stringParam("PIPELINE", "release"),
		},
		Workspaces: map[string]string{"signing-secret": w.secret},
	})
	mustSucceed(t, r)
	wantResults(t, r, img.DigestStr(), img.Context().Name(), img.String())

	res := w.env.MustRun(w.tollgate, "verify-attestation", "--key", w.pub, "--type", "slsaprovenance1", img.String(), "-o", "json")
	// -o json: per image, per attestation, each examined statement.
	var out struct {
		Images []struct {
			Status       string `json:"status"`
			Attestations []struct {
				Verified bool `json:"verified"`
				Examined []struct {
					Verified  bool      `json:"verified"`
					Statement statement `json:"statement"`
				} `json:"examined"`
			} `json:"attestations"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil || len(out.Images) != 1 || len(out.Images[0].Attestations) != 1 || len(out.Images[0].Attestations[0].Examined) != 1 {
		t.Fatalf("verify-attestation -o json: want one image with one attestation examined (%v):\n%s", err, res)
	}
	ex := out.Images[0].Attestations[0].Examined[0]
	if out.Images[0].Status != "verified" || !ex.Verified {
		t.Fatalf("the attestation is not reported verified:\n%s", res)
	}
	st := ex.Statement
	p := st.Predicate
	if st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("predicateType %q, want SLSA v1", st.PredicateType)
	}
	if got := p.BuildDefinition.InternalParameters.Tekton; got.Kind != "TaskRun" || got.Name != runName || got.Namespace != "release" {
		t.Errorf("provenance names %+v, want TaskRun %s in namespace release:\n%s", got, runName, res.Stdout)
	}
	if p.RunDetails.Metadata.InvocationID != "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b" {
		t.Errorf("invocationId %q, want the TaskRun's UID", p.RunDetails.Metadata.InvocationID)
	}
	found := false
	for _, d := range p.BuildDefinition.ResolvedDependencies {
		if d.URI == "git+"+source && d.Digest["sha1"] == commit {
			found = true
		}
	}
	if !found {
		t.Errorf("provenance does not record the source %s@%s:\n%s", source, commit, res.Stdout)
	}
	ext, _ := json.Marshal(p.BuildDefinition.ExternalParameters)
	for _, want := range []string{`"tollgate-attest"`, `"release-run-1"`} {
		if !strings.Contains(string(ext), want) {
			t.Errorf("externalParameters do not mention %s: %s", want, ext)
		}
	}
}

// TestVerifyTask: tollgate-verify with a policy requiring the key's
// signature passes a signed image, with its results, and fails the step for
// an unsigned one, saying which image and why.
func TestVerifyTask(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := w.policyDir()
	signedTag := w.reg.Addr + "/team/signed:v1"
	signed := harness.PushImage(t, signedTag)
	unsigned := harness.PushImage(t, w.reg.Addr+"/team/unsigned:v1")
	w.env.MustRun(w.tollgate, "sign", "--key", "cosign.key", signed.String())

	t.Run("signed", func(t *testing.T) {
		r := w.run("tollgate-verify", "verify-signed", v1.Params{arrayParam("IMAGES", signedTag)}, map[string]string{"policy": policy})
		mustSucceed(t, r)
		wantResults(t, r, signed.DigestStr(), signed.Context().Name(), signed.String())
	})
	t.Run("unsigned", func(t *testing.T) {
		r := w.run("tollgate-verify", "verify-unsigned", v1.Params{arrayParam("IMAGES", unsigned.String())}, map[string]string{"policy": policy})
		if r.Succeeded {
			t.Fatalf("the TaskRun succeeded for an unsigned image:\n%s", r)
		}
		t.Logf("the TaskRun for the unsigned image:\n%s", r)
		step, _ := r.failedStep()
		if step.Name != "verify" {
			t.Fatalf("step %q failed, want verify:\n%s", step.Name, r)
		}
		for _, want := range []string{unsigned.String(), "denied by policy", "no signatures found"} {
			if !strings.Contains(step.Stderr, want) {
				t.Errorf("stderr of the failed step does not mention %q:\n%s", want, r)
			}
		}
		if d := r.Results["IMAGE_DIGEST"]; d != "" {
			t.Errorf("result IMAGE_DIGEST = %q for a denied image, want none", d)
		}
	})
}

// TestPromoteTask: tollgate-promote copies a signed image to another
// repository, where its tag names the same digest and its signature
// verifies; an unsigned image fails the step and nothing reaches the
// destination.
func TestPromoteTask(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	policy := w.policyDir()
	src := harness.PushImage(t, w.reg.Addr+"/staging/app:v1")
	w.env.MustRun(w.tollgate, "sign", "--key", "cosign.key", src.String())

	t.Run("signed", func(t *testing.T) {
		dst := w.reg.Addr + "/prod/app:v1"
		r := w.run("tollgate-promote", "promote-app", v1.Params{stringParam("SOURCE", src.String()), stringParam("DESTINATION", dst)}, map[string]string{"policy": policy})
		mustSucceed(t, r)
		dstRepo := w.reg.Addr + "/prod/app"
		wantResults(t, r, src.DigestStr(), dstRepo, dstRepo+"@"+src.DigestStr())
		img := harness.Image(t, dst)
		if d, err := img.Digest(); err != nil || d.String() != src.DigestStr() {
			t.Errorf("%s is %v (%v), want %s", dst, d, err, src.DigestStr())
		}
		w.env.MustRun(w.tollgate, "verify", "--key", w.pub, dst)
	})
	t.Run("unsigned", func(t *testing.T) {
		unsigned := harness.PushImage(t, w.reg.Addr+"/staging/unsigned:v1")
		dstRepo := w.reg.Addr + "/prod/unsigned"
		r := w.run("tollgate-promote", "promote-unsigned", v1.Params{stringParam("SOURCE", unsigned.String()), stringParam("DESTINATION", dstRepo+":v1")}, map[string]string{"policy": policy})
		if r.Succeeded {
			t.Fatalf("the TaskRun succeeded for an unsigned image:\n%s", r)
		}
		t.Logf("the TaskRun for the unsigned image:\n%s", r)
		step, _ := r.failedStep()
		for _, want := range []string{unsigned.String(), "denied by policy", "no signatures found", "nothing was written"} {
			if !strings.Contains(step.Stderr, want) {
				t.Errorf("stderr of the failed step does not mention %q:\n%s", want, r)
			}
		}
		if tags, err := harness.ListTags(dstRepo); err == nil && len(tags) > 0 {
			t.Errorf("%s has tags %v after a refused promotion, want none", dstRepo, tags)
		}
	})
}

// statement is the part of an in-toto statement with SLSA v1 provenance
// the tests read.
type statement struct {
	PredicateType string `json:"predicateType"`
	Predicate     struct {
		BuildDefinition struct {
			BuildType          string         `json:"buildType"`
			ExternalParameters map[string]any `json:"externalParameters"`
			InternalParameters struct {
				Tekton struct {
					Kind, Name, Namespace string
				} `json:"tekton"`
			} `json:"internalParameters"`
			ResolvedDependencies []struct {
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
			Metadata struct {
				InvocationID string `json:"invocationId"`
			} `json:"metadata"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, string(b))
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// examplePipeline is the example PipelineRun of examples/tekton and its
// Pipeline, with the directories its workspace bindings stand for.
type examplePipeline struct {
	pipeline *v1.Pipeline
	run      *v1.PipelineRun
	volumes  map[string]string
	// placeholder is the registry host the example names; the test's
	// registry replaces it.
	placeholder string
}

// loadExample reads the example Pipeline and PipelineRun and prepares what
// `kubectl create` of the example's ConfigMaps and Secrets would mount:
// the source ConfigMap of examples/ as files, the release policy of
// examples/policies/tollgate.yaml with this registry and key, the signing
// Secret, and an empty docker config. The PipelineRun's params name the
// test's registry instead of the placeholder.
func (w *world) loadExample() *examplePipeline {
	w.t.Helper()
	t := w.t
	ex := mustLoadCatalog(t, "examples")
	if len(ex.PipelineRuns) != 1 {
		t.Fatalf("examples/ has %d PipelineRuns, want the one of the Tekton example", len(ex.PipelineRuns))
	}
	e := &examplePipeline{run: ex.PipelineRuns[0].DeepCopy(), volumes: map[string]string{}}
	if e.run.Spec.PipelineRef == nil || ex.Pipelines[e.run.Spec.PipelineRef.Name] == nil {
		t.Fatalf("the example PipelineRun does not refer to a Pipeline of examples/ (TestExampleReferences)")
	}
	e.pipeline = ex.Pipelines[e.run.Spec.PipelineRef.Name]

	// The placeholder registry: the host of the IMAGE param.
	for _, p := range e.run.Spec.Params {
		if p.Name == "IMAGE" {
			e.placeholder, _, _ = strings.Cut(p.Value.StringVal, "/")
		}
	}
	if !strings.Contains(e.placeholder, ".") {
		t.Fatalf("cannot tell the example's registry from its IMAGE param (%q)", e.placeholder)
	}
	for i, p := range e.run.Spec.Params {
		e.run.Spec.Params[i].Value.StringVal = strings.ReplaceAll(p.Value.StringVal, e.placeholder, w.reg.Addr)
		for j, v := range p.Value.ArrayVal {
			e.run.Spec.Params[i].Value.ArrayVal[j] = strings.ReplaceAll(v, e.placeholder, w.reg.Addr)
		}
	}

	for _, b := range e.run.Spec.Workspaces {
		dir := filepath.Join(t.TempDir(), b.Name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case b.ConfigMap != nil && b.Name == "policy":
			// kubectl create configmap NAME --from-file=policy.yaml=examples/policies/tollgate.yaml --from-file=cosign.pub
			pol, err := os.ReadFile(filepath.Join(harness.Root(), "examples", "policies", "tollgate.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(pol), e.placeholder) {
				t.Fatalf("examples/policies/tollgate.yaml does not cover the example's registry %s", e.placeholder)
			}
			writeFile(t, filepath.Join(dir, "policy.yaml"), strings.ReplaceAll(string(pol), e.placeholder, w.reg.Addr))
			copyFile(t, w.pub, filepath.Join(dir, "cosign.pub"))
			e.volumes["configMap/"+b.ConfigMap.Name] = dir
		case b.ConfigMap != nil:
			// A ConfigMap of examples/: its keys become files.
			cm := exampleConfigMap(t, ex, b.ConfigMap.Name)
			for k, v := range cm.Data {
				writeFile(t, filepath.Join(dir, k), v)
			}
			e.volumes["configMap/"+b.ConfigMap.Name] = dir
		case b.Secret != nil && b.Name == "signing-secret":
			e.volumes["secret/"+b.Secret.SecretName] = w.secret
		case b.Secret != nil && b.Name == "dockerconfig":
			writeFile(t, filepath.Join(dir, "config.json"), `{"auths":{}}`)
			e.volumes["secret/"+b.Secret.SecretName] = dir
		}
	}
	return e
}

func exampleConfigMap(t *testing.T, ex *catalog, name string) *corev1.ConfigMap {
	t.Helper()
	for _, d := range ex.Skipped {
		if d.APIVersion == "v1" && d.Kind == "ConfigMap" && d.Name == name {
			var cm corev1.ConfigMap
			if err := yaml.UnmarshalStrict(d.Raw, &cm); err != nil {
				t.Fatalf("%s: %v", d, err)
			}
			return &cm
		}
	}
	t.Fatalf("the example PipelineRun mounts ConfigMap %s, which examples/ does not define", name)
	return nil
}

// param returns a PipelineRun param's string value.
func param(pr *v1.PipelineRun, name string) string {
	for _, p := range pr.Spec.Params {
		if p.Name == name {
			return p.Value.StringVal
		}
	}
	return ""
}

// TestExamplePipeline runs the example PipelineRun of examples/tekton
// against the registry: the image is built with crane, signed, attested,
// verified against examples/policies/tollgate.yaml, and promoted; at the
// destination it verifies and its provenance names the PipelineRun. With
// the sign task replaced by one that signs nothing, the pipeline stops at
// verify and nothing is promoted.
func TestExamplePipeline(t *testing.T) {
	t.Parallel()
	t.Run("signed", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		e := w.loadExample()
		res := runPipeline(t, pipelineRun{Pipeline: e.pipeline, Run: e.run, Tasks: w.tasks.Tasks, Volumes: e.volumes})
		if !res.Succeeded {
			t.Fatalf("the PipelineRun failed:\n%s", res)
		}
		if len(res.NotRun) > 0 || len(res.SkippedByWhen) > 0 || len(res.Order) != len(e.pipeline.Spec.Tasks) {
			t.Fatalf("not every task ran:\n%s", res)
		}
		ranAfterDeps(t, e.pipeline, res)
		build := res.TaskRuns["build"]
		if build == nil {
			t.Fatalf("no build task:\n%s", res)
		}
		digest, repo := build.Results["IMAGE_DIGEST"], build.Results["IMAGE_URL"]
		image := param(e.run, "IMAGE")
		image = image[:strings.LastIndex(image, ":")]
		if !strings.HasPrefix(digest, "sha256:") || repo != image {
			t.Fatalf("the build task reports %s@%s, want %s@sha256:...:\n%s", repo, digest, image, res)
		}
		// Every tollgate task reports the built digest; promote reports the
		// destination repository, and so does the PipelineRun.
		dest := param(e.run, "DESTINATION")
		destRepo := dest[:strings.LastIndex(dest, ":")]
		for name, tr := range res.TaskRuns {
			if name == "build" {
				continue
			}
			wantRepo := repo
			if name == "promote" {
				wantRepo = destRepo
			}
			wantResults(t, tr, digest, wantRepo, wantRepo+"@"+digest)
		}
		if res.Results["IMAGE_DIGEST"] != digest || res.Results["IMAGE_URL"] != destRepo {
			t.Errorf("PipelineRun results %v, want IMAGE_URL %s and IMAGE_DIGEST %s", res.Results, destRepo, digest)
		}
		if d, err := harness.Image(t, dest).Digest(); err != nil || d.String() != digest {
			t.Errorf("%s is %v (%v), want %s", dest, d, err, digest)
		}
		w.env.MustRun(w.tollgate, "verify", "--key", w.pub, dest)
		// The provenance at the destination names the PipelineRun, as the
		// attest task's $(context.pipelineRun.name) and $(context.pipeline.name).
		out := w.env.MustRun(w.tollgate, "verify-attestation", "--key", w.pub, "--type", "slsaprovenance1", dest)
		var st statement
		if err := json.Unmarshal([]byte(strings.SplitN(out.Stdout, "\n", 2)[0]), &st); err != nil {
			t.Fatalf("verify-attestation printed no statement: %v\n%s", err, out)
		}
		ext, _ := json.Marshal(st.Predicate.BuildDefinition.ExternalParameters)
		for _, want := range []string{fmt.Sprintf(`"pipelineRun":{"name":%q,"pipeline":%q}`, res.Run.Name, e.pipeline.Name)} {
			if !strings.Contains(string(ext), want) {
				t.Errorf("the provenance's externalParameters lack %s: %s", want, ext)
			}
		}
		if got := st.Predicate.BuildDefinition.InternalParameters.Tekton; got.Name != res.TaskRuns["attest"].Run.Name || got.Namespace != res.Run.Namespace {
			t.Errorf("the provenance names TaskRun %+v, want %s/%s", got, res.Run.Namespace, res.TaskRuns["attest"].Run.Name)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		e := w.loadExample()
		// The task that signs, replaced by one that passes the build's
		// results on and signs nothing.
		p := e.pipeline.DeepCopy()
		replaced := ""
		for i, pt := range p.Spec.Tasks {
			if pt.TaskRef != nil && pt.TaskRef.Name == "tollgate-sign" {
				replaced = pt.Name
				var skip v1.PipelineTask
				if err := yaml.UnmarshalStrict([]byte(fmt.Sprintf(skipSigning, pt.Name)), &skip); err != nil {
					t.Fatal(err)
				}
				p.Spec.Tasks[i] = skip
			}
		}
		if replaced == "" {
			t.Fatalf("Pipeline %s has no task running tollgate-sign", p.Name)
		}
		if _, err := validateObject(tektonContext(t), p); err != nil {
			t.Fatalf("the Pipeline with %s replaced is invalid: %v", replaced, err)
		}
		res := runPipeline(t, pipelineRun{Pipeline: p, Run: e.run, Tasks: w.tasks.Tasks, Volumes: e.volumes})
		t.Logf("the PipelineRun with signing skipped:\n%s", res)
		if res.Succeeded {
			t.Fatalf("the PipelineRun succeeded with an unsigned image")
		}
		verify := res.TaskRuns["verify"]
		if verify == nil || verify.Succeeded {
			t.Fatalf("the pipeline did not stop at verify: %s", res.Reason)
		}
		for name, tr := range res.TaskRuns {
			if name != "verify" && !tr.Succeeded {
				t.Errorf("task %s failed too", name)
			}
		}
		if res.TaskRuns["promote"] != nil || len(res.NotRun) != 1 || res.NotRun[0] != "promote" {
			t.Errorf("ran %v, not run %v; want promote, and only promote, never started", res.Order, res.NotRun)
		}
		image := res.TaskRuns["build"].Results["IMAGE_URL"] + "@" + res.TaskRuns["build"].Results["IMAGE_DIGEST"]
		step, _ := verify.failedStep()
		for _, want := range []string{image, "denied by policy", "no signatures found"} {
			if !strings.Contains(step.Stderr, want) {
				t.Errorf("stderr of verify does not mention %q:\n%s", want, step)
			}
		}
		// The example promotes within its repository (candidate to
		// release): the destination tag must not exist.
		dest := param(e.run, "DESTINATION")
		destRepo, destTag := dest[:strings.LastIndex(dest, ":")], dest[strings.LastIndex(dest, ":")+1:]
		tags, _ := harness.ListTags(destRepo)
		for _, tag := range tags {
			if tag == destTag {
				t.Errorf("%s exists after a refused pipeline (tags %v)", dest, tags)
			}
		}
		if r := w.env.Run(w.tollgate, "verify", "--key", w.pub, dest); r.Code == 0 {
			t.Errorf("the unsigned image verifies at the destination:\n%s", r)
		}
	})
}

// ranAfterDeps checks that each task ran after the tasks it depends on
// (runAfter and result references).
func ranAfterDeps(t *testing.T, p *v1.Pipeline, res *pipelineRunResult) {
	t.Helper()
	pos := map[string]int{}
	for i, n := range res.Order {
		pos[n] = i
	}
	for _, pt := range p.Spec.Tasks {
		i, ran := pos[pt.Name]
		for _, dep := range pt.Deps() {
			if j, depRan := pos[dep]; ran && (!depRan || j > i) {
				t.Errorf("task %s ran before %s, which it depends on (order %v)", pt.Name, dep, res.Order)
			}
		}
	}
}

// skipSigning replaces the pipeline's sign task: same name and results, no
// signature.
const skipSigning = `name: %s
params:
  - name: URL
    value: $(tasks.build.results.IMAGE_URL)
  - name: DIGEST
    value: $(tasks.build.results.IMAGE_DIGEST)
taskSpec:
  params:
    - name: URL
      type: string
    - name: DIGEST
      type: string
  results:
    - name: IMAGE_URL
    - name: IMAGE_DIGEST
    - name: IMAGES
  steps:
    - name: skip-signing
      image: busybox
      script: |
        printf '%%s' "$(params.URL)" > $(results.IMAGE_URL.path)
        printf '%%s' "$(params.DIGEST)" > $(results.IMAGE_DIGEST.path)
        printf '%%s@%%s' "$(params.URL)" "$(params.DIGEST)" > $(results.IMAGES.path)
        echo "signing skipped"
`

// TestHarnessBites: the harness refuses what Tekton refuses and fails what
// would fail in a cluster, so that the tests above cannot pass by accident.
func TestHarnessBites(t *testing.T) {
	t.Parallel()
	task := func(y string) *v1.TaskSpec {
		t.Helper()
		var task v1.Task
		if err := yaml.UnmarshalStrict([]byte(y), &task); err != nil {
			t.Fatal(err)
		}
		if _, err := validateObject(tektonContext(t), &task); err != nil {
			t.Fatalf("invalid probe Task: %v", err)
		}
		return &task.Spec
	}
	probe := task(`apiVersion: tekton.dev/v1
kind: Task
metadata: {name: probe}
spec:
  params:
    - {name: WORD, type: string}
    - {name: CODE, type: string, default: "0"}
  workspaces:
    - name: out
  results:
    - name: WORD
  steps:
    - name: first
      image: busybox
      script: |
        printf '%s' "$(params.WORD)" > $(results.WORD.path)
        printf '%s' "$(context.taskRun.name) $(context.task.name)" > $(workspaces.out.path)/context
        exit $(params.CODE)
    - name: second
      image: busybox
      script: touch $(workspaces.out.path)/second
`)
	run := func(params v1.Params, ws map[string]string) (*taskRunResult, error) {
		return runTask(t, taskRun{Name: "probe-run", Namespace: "ns", UID: "1", TaskName: "probe", Spec: probe, Params: params, Workspaces: ws})
	}
	t.Run("missing param", func(t *testing.T) {
		_, err := run(nil, map[string]string{"out": t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "WORD") {
			t.Fatalf("a TaskRun without the required param WORD ran (error %v)", err)
		}
		t.Logf("refused, as expected: %v", err)
	})
	t.Run("unbound workspace", func(t *testing.T) {
		_, err := run(v1.Params{stringParam("WORD", "x")}, nil)
		if err == nil || !strings.Contains(err.Error(), `"out"`) {
			t.Fatalf("a TaskRun without the required workspace out ran (error %v)", err)
		}
		t.Logf("refused, as expected: %v", err)
	})
	t.Run("success", func(t *testing.T) {
		out := t.TempDir()
		r, err := run(v1.Params{stringParam("WORD", "hello")}, map[string]string{"out": out})
		if err != nil || !r.Succeeded || r.Results["WORD"] != "hello" {
			t.Fatalf("the probe TaskRun did not succeed with result WORD=hello (%v):\n%s", err, r)
		}
		if b, _ := os.ReadFile(filepath.Join(out, "context")); string(b) != "probe-run probe" {
			t.Errorf("$(context.taskRun.name) $(context.task.name) became %q, want %q", b, "probe-run probe")
		}
		if _, err := os.Stat(filepath.Join(out, "second")); err != nil {
			t.Errorf("the second step did not run: %v", err)
		}
	})
	t.Run("failing step", func(t *testing.T) {
		out := t.TempDir()
		r, err := run(v1.Params{stringParam("WORD", "x"), stringParam("CODE", "3")}, map[string]string{"out": out})
		if err != nil {
			t.Fatal(err)
		}
		if r.Succeeded || r.Steps[0].Code != 3 || !r.Steps[1].Skipped {
			t.Errorf("want step first to fail with 3 and step second skipped:\n%s", r)
		}
		if _, err := os.Stat(filepath.Join(out, "second")); err == nil {
			t.Errorf("the step after a failed one ran")
		}
	})
	t.Run("missing result", func(t *testing.T) {
		var p v1.Pipeline
		if err := yaml.UnmarshalStrict([]byte(`apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: probe}
spec:
  workspaces: [{name: out}]
  tasks:
    - name: a
      taskRef: {name: probe}
      params: [{name: WORD, value: ""}]
      workspaces: [{name: out, workspace: out}]
    - name: b
      taskRef: {name: probe}
      params: [{name: WORD, value: "$(tasks.a.results.NOPE)"}]
      workspaces: [{name: out, workspace: out}]
`), &p); err != nil {
			t.Fatal(err)
		}
		var pr v1.PipelineRun
		if err := yaml.UnmarshalStrict([]byte(`apiVersion: tekton.dev/v1
kind: PipelineRun
metadata: {name: probe-run}
spec:
  pipelineRef: {name: probe}
  workspaces: [{name: out, emptyDir: {}}]
`), &pr); err != nil {
			t.Fatal(err)
		}
		ctx := tektonContext(t)
		if _, err := validateObject(ctx, &pr); err != nil {
			t.Fatal(err)
		}
		// Tekton's webhook accepts a reference to a result the Task does
		// not declare; the PipelineRun fails when it cannot resolve it.
		if _, err := validateObject(ctx, &p); err != nil {
			t.Fatal(err)
		}
		res := runPipeline(t, pipelineRun{Pipeline: &p, Run: &pr, Tasks: map[string]*v1.Task{"probe": {ObjectMeta: metav1.ObjectMeta{Name: "probe"}, Spec: *probe}}})
		if res.Succeeded || res.TaskRuns["b"] != nil || !strings.Contains(res.Reason, "NOPE") {
			t.Errorf("want the PipelineRun to fail before b, over result NOPE:\n%s", res)
		}
		t.Logf("failed, as expected: %s", res.Reason)
	})
}
