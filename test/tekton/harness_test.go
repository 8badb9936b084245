package tekton

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tektoncd/pipeline/pkg/apis/config"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline"
	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/pipeline/pkg/apis/pipeline/v1beta1"
	"github.com/tektoncd/pipeline/pkg/reconciler/pipeline/dag"
	pipelineresources "github.com/tektoncd/pipeline/pkg/reconciler/pipelinerun/resources"
	"github.com/tektoncd/pipeline/pkg/reconciler/taskrun"
	taskresources "github.com/tektoncd/pipeline/pkg/reconciler/taskrun/resources"
	"github.com/tektoncd/pipeline/pkg/workspace"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// ---------------------------------------------------------------------------
// Tekton's API: strict decoding, defaulting and validation, as the webhook.

// tektonContext is the context Tekton's admission webhook validates a new
// object with: the configuration an installation with empty feature-flags
// and config-defaults ConfigMaps has, inside a create request.
func tektonContext(t testing.TB) context.Context {
	t.Helper()
	flags, err := config.NewFeatureFlagsFromMap(map[string]string{})
	if err != nil {
		t.Fatalf("Tekton's default feature flags: %v", err)
	}
	defaults, err := config.NewDefaultsFromMap(map[string]string{})
	if err != nil {
		t.Fatalf("Tekton's default config: %v", err)
	}
	cfg := config.FromContextOrDefaults(context.Background())
	cfg.FeatureFlags, cfg.Defaults = flags, defaults
	return apis.WithinCreate(config.ToContext(context.Background(), cfg))
}

// tektonObject is what the webhook defaults and validates.
type tektonObject interface {
	apis.Defaultable
	apis.Validatable
}

// newTektonObject returns an empty object of the Go type Tekton v1.15.0
// decodes apiVersion/kind into. Kinds this test does not know are an error,
// so that no tekton.dev document goes unvalidated.
func newTektonObject(apiVersion, kind string) (tektonObject, error) {
	switch apiVersion + " " + kind {
	case "tekton.dev/v1 Task":
		return &v1.Task{}, nil
	case "tekton.dev/v1 Pipeline":
		return &v1.Pipeline{}, nil
	case "tekton.dev/v1 PipelineRun":
		return &v1.PipelineRun{}, nil
	case "tekton.dev/v1 TaskRun":
		return &v1.TaskRun{}, nil
	case "tekton.dev/v1beta1 StepAction":
		return &v1beta1.StepAction{}, nil
	}
	return nil, fmt.Errorf("apiVersion %q kind %q is not a kind these tests decode (tekton.dev/v1 Task, Pipeline, PipelineRun, TaskRun; tekton.dev/v1beta1 StepAction)", apiVersion, kind)
}

// validateObject defaults obj and validates it as the webhook does on create;
// warnings are returned separately (the webhook admits the object with them).
func validateObject(ctx context.Context, obj tektonObject) (warnings, err error) {
	obj.SetDefaults(ctx)
	fe := obj.Validate(ctx)
	if w := fe.Filter(apis.WarningLevel); w != nil {
		warnings = w
	}
	if e := fe.Filter(apis.ErrorLevel); e != nil {
		err = e
	}
	return warnings, err
}

// decodeTekton decodes one YAML document strictly (an unknown or duplicate
// field is an error) into Tekton's Go type and validates it.
func decodeTekton(ctx context.Context, d document) (tektonObject, error) {
	obj, err := newTektonObject(d.APIVersion, d.Kind)
	if err != nil {
		return nil, err
	}
	if err := yaml.UnmarshalStrict(d.Raw, obj); err != nil {
		return nil, fmt.Errorf("strict decoding: %w", err)
	}
	// The API server names an object created with generateName before
	// admission (kubectl create; kubectl apply refuses generateName).
	if m, ok := obj.(metav1.Object); ok && m.GetName() == "" && m.GetGenerateName() != "" {
		m.SetName(m.GetGenerateName() + generatedSuffix)
	}
	if _, err := validateObject(ctx, obj); err != nil {
		return nil, fmt.Errorf("Tekton validation: %w", err)
	}
	return obj, nil
}

// generatedSuffix stands for the 5 random characters the API server appends
// to a generateName.
const generatedSuffix = "x7k2q"

// document is one YAML document of a file.
type document struct {
	Path       string // relative to the repository root
	Index      int    // position in the file, from 1
	Raw        []byte
	APIVersion string
	Kind       string
	Name       string
}

func (d document) String() string {
	return fmt.Sprintf("%s (document %d: %s %s %q)", d.Path, d.Index, d.APIVersion, d.Kind, d.Name)
}

// yamlFiles lists the *.yaml and *.yml files under the given directories of
// the repository, recursively, relative to the repository root.
func yamlFiles(t testing.TB, dirs ...string) []string {
	t.Helper()
	var files []string
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(harness.Root(), dir), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				return nil
			}
			if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" {
				rel, err := filepath.Rel(harness.Root(), p)
				if err != nil {
					return err
				}
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("listing %s: %v", dir, err)
		}
	}
	sort.Strings(files)
	return files
}

// readDocuments splits a file into its YAML documents as kubectl does,
// leaving out empty ones (only comments, or nothing).
func readDocuments(rel string) ([]document, error) {
	data, err := os.ReadFile(filepath.Join(harness.Root(), rel))
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []document
	for i := 1; ; i++ {
		raw, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", rel, i, err)
		}
		var v any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%s: document %d is not YAML: %w", rel, i, err)
		}
		if v == nil {
			continue
		}
		var meta struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(raw, &meta); err != nil {
			return nil, fmt.Errorf("%s: document %d has no readable apiVersion/kind: %w", rel, i, err)
		}
		docs = append(docs, document{Path: rel, Index: i, Raw: raw, APIVersion: meta.APIVersion, Kind: meta.Kind, Name: meta.Metadata.Name})
	}
}

// catalog is every Tekton object of some directories, decoded and valid.
type catalog struct {
	Tasks        map[string]*v1.Task
	Pipelines    map[string]*v1.Pipeline
	PipelineRuns []*v1.PipelineRun
	TaskRuns     []*v1.TaskRun
	StepActions  map[string]*v1beta1.StepAction
	// From says which document each object came from ("Kind/name").
	From map[string]document
	// Docs is every tekton.dev document read; Skipped the others.
	Docs, Skipped []document
}

// loadCatalog reads every YAML document under dirs; documents whose
// apiVersion is not tekton.dev/* are skipped. Each problem is returned.
func loadCatalog(t testing.TB, dirs ...string) (*catalog, []error) {
	t.Helper()
	ctx := tektonContext(t)
	c := &catalog{Tasks: map[string]*v1.Task{}, Pipelines: map[string]*v1.Pipeline{}, StepActions: map[string]*v1beta1.StepAction{}, From: map[string]document{}}
	var errs []error
	for _, f := range yamlFiles(t, dirs...) {
		docs, err := readDocuments(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range docs {
			if !strings.HasPrefix(d.APIVersion, "tekton.dev/") {
				c.Skipped = append(c.Skipped, d)
				continue
			}
			c.Docs = append(c.Docs, d)
			obj, err := decodeTekton(ctx, d)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", d, err))
				continue
			}
			key := d.Kind + "/" + d.Name
			if prev, dup := c.From[key]; dup && d.Kind != "PipelineRun" && d.Kind != "TaskRun" {
				errs = append(errs, fmt.Errorf("%s: %s is defined twice (also in %s)", d, key, prev))
				continue
			}
			c.From[key] = d
			switch o := obj.(type) {
			case *v1.Task:
				c.Tasks[o.Name] = o
			case *v1.Pipeline:
				c.Pipelines[o.Name] = o
			case *v1.PipelineRun:
				c.PipelineRuns = append(c.PipelineRuns, o)
			case *v1.TaskRun:
				c.TaskRuns = append(c.TaskRuns, o)
			case *v1beta1.StepAction:
				c.StepActions[o.Name] = o
			}
		}
	}
	return c, errs
}

// mustLoadCatalog is loadCatalog for tests that need valid objects.
func mustLoadCatalog(t testing.TB, dirs ...string) *catalog {
	t.Helper()
	c, errs := loadCatalog(t, dirs...)
	if len(errs) > 0 {
		t.Fatalf("invalid Tekton YAML under %v (TestValidate has the details):\n%v", dirs, errors.Join(errs...))
	}
	return c
}

// stringParam and arrayParam build TaskRun/PipelineRun params.
func stringParam(name, value string) v1.Param {
	return v1.Param{Name: name, Value: v1.ParamValue{Type: v1.ParamTypeString, StringVal: value}}
}

func arrayParam(name string, values ...string) v1.Param {
	return v1.Param{Name: name, Value: v1.ParamValue{Type: v1.ParamTypeArray, ArrayVal: values}}
}

// ---------------------------------------------------------------------------
// Running a TaskRun on this machine.

// taskRun is a TaskRun to run step by step on this machine.
type taskRun struct {
	Name, Namespace, UID string
	// TaskName is the Task referred to (taskRef.name), $(context.task.name).
	TaskName string
	// Spec is the Task's spec, defaulted and validated (catalog entries are).
	Spec *v1.TaskSpec
	// Embedded puts Spec in the TaskRun (taskSpec) instead of a taskRef.
	Embedded bool
	Params   v1.Params
	// Workspaces binds workspaces to directories of this machine; their
	// $(workspaces.NAME.path) becomes the directory.
	Workspaces map[string]string
}

// stepRun is what one step did.
type stepRun struct {
	Name    string
	Argv    []string // as executed; for a script, the shell and the script file
	Script  string   // the script after substitution, for script steps
	Env     []string // the step's own environment after substitution
	Dir     string
	Stdout  string
	Stderr  string
	Code    int
	Skipped bool // an earlier step failed
}

func (s stepRun) String() string {
	if s.Skipped {
		return fmt.Sprintf("step %s: skipped (an earlier step failed)\n", s.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "step %s: $ %s\n  workingDir: %s\n  env: %s\n", s.Name, strings.Join(s.Argv, " "), s.Dir, strings.Join(s.Env, " "))
	if s.Script != "" {
		fmt.Fprintf(&b, "  script:\n%s\n", indent(s.Script, "    "))
	}
	fmt.Fprintf(&b, "  exit %d\n  --- stdout\n%s\n  --- stderr\n%s\n", s.Code, indent(s.Stdout, "  "), indent(s.Stderr, "  "))
	return b.String()
}

func indent(s, prefix string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return prefix + "(empty)"
	}
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// taskRunResult is a finished TaskRun.
type taskRunResult struct {
	// Run is the TaskRun, its status set as the controller would: the
	// Succeeded condition and the results.
	Run     *v1.TaskRun
	Steps   []stepRun
	Results map[string]string // the declared results written
	// ResultsDir stands for /tekton/results; it lasts until the test ends.
	ResultsDir string
	Succeeded  bool
	Reason     string // why it failed
}

func (r *taskRunResult) String() string {
	var b strings.Builder
	status := "Succeeded"
	if !r.Succeeded {
		status = "Failed: " + r.Reason
	}
	fmt.Fprintf(&b, "TaskRun %s/%s (task %s): %s\n", r.Run.Namespace, r.Run.Name, taskNameOf(r.Run), status)
	for _, s := range r.Steps {
		b.WriteString(s.String())
	}
	names := make([]string, 0, len(r.Results))
	for n := range r.Results {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "result %s = %q\n", n, r.Results[n])
	}
	return b.String()
}

func taskNameOf(tr *v1.TaskRun) string {
	if tr.Spec.TaskRef != nil {
		return tr.Spec.TaskRef.Name
	}
	return "(embedded)"
}

// failedStep returns the step that failed, if any.
func (r *taskRunResult) failedStep() (stepRun, bool) {
	for _, s := range r.Steps {
		if !s.Skipped && s.Code != 0 {
			return s, true
		}
	}
	return stepRun{}, false
}

// tektonPath matches a path under /tekton/ where it starts a word, a value
// or an assignment: the directories the Tekton entrypoint provides.
var tektonPath = regexp.MustCompile(`(^|[\s"'=:>])/tekton/`)

// unsubstituted matches a Tekton variable left in a step after substitution.
var unsubstituted = regexp.MustCompile(`\$\((params|context|workspaces|results|tasks|steps|step|artifacts|credentials)[.\[]`)

// shells are the interpreters a script's shebang may name.
var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true}

// runTask runs a TaskRun step by step. It returns an error when Tekton would
// not start the TaskRun (an invalid TaskRun, a missing param or workspace)
// or the Task uses what this harness cannot provide; a failing step is a
// failed taskRunResult, not an error.
//
// Before the steps run it does what Tekton's webhook and TaskRun reconciler
// do, with their own code: defaulting and validation of the TaskRun, the
// param and workspace checks, then the substitutions in the reconciler's
// order (params, context, results, artifacts, exit code paths, workspaces,
// credentials). The workspaces' declared mountPaths are replaced by their
// directories first, so $(workspaces.NAME.path) is the directory, and what
// would be under /tekton/ in the pod is under a temporary directory.
func runTask(t *testing.T, in taskRun) (*taskRunResult, error) {
	t.Helper()
	ctx := tektonContext(t)
	if in.Spec == nil {
		return nil, errors.New("taskRun without a Task spec")
	}
	tr := &v1.TaskRun{
		TypeMeta:   metav1.TypeMeta{APIVersion: "tekton.dev/v1", Kind: "TaskRun"},
		ObjectMeta: metav1.ObjectMeta{Name: in.Name, Namespace: in.Namespace, UID: types.UID(in.UID)},
		Spec:       v1.TaskRunSpec{Params: in.Params},
	}
	if in.Embedded {
		tr.Spec.TaskSpec = in.Spec.DeepCopy()
	} else {
		tr.Spec.TaskRef = &v1.TaskRef{Name: in.TaskName, Kind: v1.NamespacedTaskKind}
	}
	wsNames := make([]string, 0, len(in.Workspaces))
	for n := range in.Workspaces {
		wsNames = append(wsNames, n)
	}
	sort.Strings(wsNames)
	for _, n := range wsNames {
		tr.Spec.Workspaces = append(tr.Spec.Workspaces, v1.WorkspaceBinding{Name: n, EmptyDir: &corev1.EmptyDirVolumeSource{}})
	}
	if _, err := validateObject(ctx, tr); err != nil {
		return nil, fmt.Errorf("Tekton rejects TaskRun %s: %w", in.Name, err)
	}

	if in.Embedded && in.TaskName == "" {
		in.TaskName = in.Name // the reconciler names an embedded Task after its TaskRun
	}
	spec := in.Spec.DeepCopy()
	spec.SetDefaults(ctx)
	if err := unsupported(spec); err != nil {
		return nil, fmt.Errorf("task %s: %w", in.TaskName, err)
	}
	rt := &taskresources.ResolvedTask{TaskName: in.TaskName, Kind: v1.NamespacedTaskKind, TaskSpec: spec}
	if err := taskrun.ValidateResolvedTask(ctx, tr.Spec.Params, nil, rt); err != nil {
		return nil, fmt.Errorf("TaskRun %s: %w", in.Name, err)
	}
	if err := taskrun.ValidateEnumParam(ctx, tr.Spec.Params, spec.Params); err != nil {
		return nil, fmt.Errorf("TaskRun %s: %w", in.Name, err)
	}
	if err := taskresources.ValidateParamArrayIndex(spec, tr.Spec.Params); err != nil {
		return nil, fmt.Errorf("TaskRun %s: %w", in.Name, err)
	}
	if err := workspace.ValidateBindings(ctx, spec.Workspaces, tr.Spec.Workspaces); err != nil {
		return nil, fmt.Errorf("TaskRun %s: %w", in.Name, err)
	}
	taskresources.ApplyParametersToWorkspaceBindings(spec, tr)

	// The substitutions, in the order of the TaskRun reconciler
	// (applyParamsContextsResultsAndWorkspaces, then the credentials path).
	ts := taskresources.ApplyParameters(spec, tr, spec.Params...)
	ts = taskresources.ApplyContexts(ts, in.TaskName, tr)
	ts = taskresources.ApplyResults(ts)
	ts = taskresources.ApplyArtifacts(ts)
	ts = taskresources.ApplyStepExitCodePath(ts)
	decls := make([]v1.WorkspaceDeclaration, len(ts.Workspaces))
	for i, d := range ts.Workspaces {
		decls[i] = d
		if dir, ok := in.Workspaces[d.Name]; ok {
			decls[i].MountPath = dir
		}
	}
	ts = taskresources.ApplyWorkspaces(ctx, ts, decls, tr.Spec.Workspaces, workspace.CreateVolumes(tr.Spec.Workspaces))
	ts = taskresources.ApplyCredentialsPath(ts, pipeline.CredsDir)
	steps, err := v1.MergeStepsWithStepTemplate(ts.StepTemplate, ts.Steps)
	if err != nil {
		return nil, fmt.Errorf("task %s: stepTemplate: %w", in.TaskName, err)
	}

	// What the pod would have under /tekton/.
	root := t.TempDir()
	resultsDir := filepath.Join(root, "results")
	binDir := filepath.Join(root, "bin")
	for _, d := range []string{resultsDir, binDir, filepath.Join(root, "home"), filepath.Join(root, "creds"), filepath.Join(root, "scripts"), filepath.Join(root, "workspace")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The images' programs: tollgate, and crane when a step may use it.
	link(t, harness.Tollgate(t), filepath.Join(binDir, "tollgate"))
	mapPath := func(s string) string {
		return tektonPath.ReplaceAllStringFunc(s, func(m string) string {
			return strings.TrimSuffix(m, "/tekton/") + root + "/"
		})
	}
	inside := func(dir string) bool {
		for _, base := range append([]string{root}, mapValues(in.Workspaces)...) {
			if rel, err := filepath.Rel(base, dir); err == nil && !strings.HasPrefix(rel, "..") {
				return true
			}
		}
		return false
	}

	res := &taskRunResult{Run: tr, Results: map[string]string{}, ResultsDir: resultsDir, Succeeded: true}
	for i, step := range steps {
		name := step.Name
		if name == "" {
			name = fmt.Sprintf("unnamed-%d", i)
		}
		if !res.Succeeded {
			res.Steps = append(res.Steps, stepRun{Name: name, Skipped: true})
			continue
		}
		sr := stepRun{Name: name}
		// Environment: what the pod gives every step, then the step's own.
		base := []string{
			"PATH=" + binDir + ":/usr/local/bin:/usr/bin:/bin",
			"HOME=" + filepath.Join(root, "home"),
			"TMPDIR=" + os.TempDir(),
			"TOLLGATE_TEKTON_RESULTS_DIR=" + resultsDir,
		}
		for _, e := range step.Env {
			if e.ValueFrom != nil {
				return nil, fmt.Errorf("step %s: env %s uses valueFrom (a Secret, ConfigMap or field of the pod), which needs a cluster", name, e.Name)
			}
			sr.Env = append(sr.Env, e.Name+"="+mapPath(e.Value))
		}
		// Working directory: empty is the image's (a fresh directory here);
		// relative is under /workspace, as Tekton's working-dir initializer does.
		dir := mapPath(step.WorkingDir)
		switch {
		case dir == "":
			dir = filepath.Join(root, "workdir-"+name)
		case !filepath.IsAbs(dir):
			dir = filepath.Join(root, "workspace", dir)
		case !inside(dir):
			return nil, fmt.Errorf("step %s: workingDir %s is neither a workspace nor under /tekton", name, dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		sr.Dir = dir
		args := make([]string, len(step.Args))
		for j, a := range step.Args {
			args[j] = mapPath(a)
		}
		switch {
		case step.Script != "":
			if len(step.Command) > 0 {
				return nil, fmt.Errorf("step %s has both script and command", name)
			}
			link(t, harness.Tool(t, "crane"), filepath.Join(binDir, "crane"))
			script := mapPath(step.Script)
			sr.Script = script
			shell, body := "sh", "set -e\n"+script // Tekton's preamble: #!/bin/sh, set -e
			if strings.HasPrefix(script, "#!") {
				first, rest, _ := strings.Cut(script, "\n")
				f := strings.Fields(strings.TrimPrefix(first, "#!"))
				if len(f) > 1 && filepath.Base(f[0]) == "env" {
					f = f[1:]
				}
				if len(f) == 0 || !shells[filepath.Base(f[0])] {
					return nil, fmt.Errorf("step %s: script interpreter %q is not a shell this harness runs", name, first)
				}
				body = rest
				if filepath.Base(f[0]) == "bash" {
					shell = "bash"
				}
				// Options on the shebang line (#!/bin/sh -ex) still apply.
				if len(f) > 1 {
					body = "set " + strings.Join(f[1:], " ") + "\n" + body
				}
			}
			file := filepath.Join(root, "scripts", fmt.Sprintf("script-%d-%s", i, name))
			if err := os.WriteFile(file, []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			sr.Argv = append([]string{shell, file}, args...)
		case len(step.Command) > 0:
			argv := make([]string, 0, len(step.Command)+len(args))
			for _, c := range step.Command {
				argv = append(argv, mapPath(c))
			}
			switch filepath.Base(argv[0]) {
			case "tollgate":
				argv[0] = filepath.Join(binDir, "tollgate")
			case "crane":
				link(t, harness.Tool(t, "crane"), filepath.Join(binDir, "crane"))
				argv[0] = filepath.Join(binDir, "crane")
			}
			sr.Argv = append(argv, args...)
		default:
			return nil, fmt.Errorf("step %s has neither command nor script: it would run its image's entrypoint, which this harness does not have", name)
		}
		for _, s := range append(append(append([]string{}, sr.Argv...), sr.Env...), sr.Script, sr.Dir) {
			if m := unsubstituted.FindString(s); m != "" {
				return nil, fmt.Errorf("step %s: %q is left unsubstituted in %q", name, m, s)
			}
		}
		if strings.Contains(sr.Dir, "$(") {
			return nil, fmt.Errorf("step %s: workingDir %q is left unsubstituted", name, sr.Dir)
		}
		execute(t, &sr, append(base, sr.Env...))
		res.Steps = append(res.Steps, sr)
		if sr.Code != 0 && step.OnError != v1.Continue {
			res.Succeeded = false
			res.Reason = fmt.Sprintf("step %s exited with code %d", name, sr.Code)
		}
	}

	// Results, as the entrypoint reports them from /tekton/results.
	for _, r := range spec.Results {
		b, err := os.ReadFile(filepath.Join(resultsDir, r.Name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		res.Results[r.Name] = string(b)
		tr.Status.Results = append(tr.Status.Results, v1.TaskRunResult{Name: r.Name, Type: v1.ResultsTypeString, Value: *v1.NewStructuredValues(string(b))})
	}
	cond := &apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionTrue, Reason: "Succeeded"}
	if !res.Succeeded {
		cond = &apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionFalse, Reason: "Failed", Message: res.Reason}
	}
	tr.Status.SetCondition(cond)
	return res, nil
}

// mustRunTask runs a TaskRun Tekton must accept.
func mustRunTask(t *testing.T, in taskRun) *taskRunResult {
	t.Helper()
	res, err := runTask(t, in)
	if err != nil {
		t.Fatalf("running TaskRun %s of %s: %v", in.Name, in.TaskName, err)
	}
	return res
}

// unsupported reports what of a Task needs a cluster.
func unsupported(spec *v1.TaskSpec) error {
	if len(spec.Sidecars) > 0 {
		return errors.New("sidecars need a pod")
	}
	if len(spec.Volumes) > 0 {
		return errors.New("volumes need a pod")
	}
	for _, s := range spec.Steps {
		if s.Ref != nil {
			return fmt.Errorf("step %s refers to a StepAction, which this harness does not resolve", s.Name)
		}
		if len(s.VolumeMounts) > 0 || len(s.VolumeDevices) > 0 {
			return fmt.Errorf("step %s mounts volumes", s.Name)
		}
		if len(s.EnvFrom) > 0 {
			return fmt.Errorf("step %s uses envFrom", s.Name)
		}
		for _, w := range s.Workspaces {
			if w.MountPath != "" {
				return fmt.Errorf("step %s mounts workspace %s at its own path", s.Name, w.Name)
			}
		}
	}
	return nil
}

// execute runs a step's process and records its outcome.
func execute(t *testing.T, sr *stepRun, env []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sr.Argv[0], sr.Argv[1:]...)
	cmd.Dir, cmd.Env = sr.Dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	sr.Stdout, sr.Stderr = stdout.String(), stderr.String()
	if ctx.Err() != nil {
		t.Fatalf("step %s timed out:\n%s", sr.Name, sr)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		sr.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("step %s could not start: %v", sr.Name, err)
	}
}

// link makes dst a symbolic link to src, once.
func link(t *testing.T, src, dst string) {
	t.Helper()
	if _, err := os.Lstat(dst); err == nil {
		return
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, dst); err != nil {
		t.Fatal(err)
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// ---------------------------------------------------------------------------
// Running a PipelineRun on this machine.

// pipelineRun is a PipelineRun to run task by task on this machine.
type pipelineRun struct {
	Pipeline *v1.Pipeline    // defaulted and validated
	Run      *v1.PipelineRun // defaulted and validated; a name is generated from generateName
	// Tasks resolves taskRef names (a namespace's Tasks).
	Tasks map[string]*v1.Task
	// Volumes is what the PipelineRun's workspace bindings are on this
	// machine: a directory for each "configMap/NAME", "secret/NAME" and
	// "persistentVolumeClaim/NAME" they name. An emptyDir binding gets a
	// new directory; so does a volumeClaimTemplate.
	Volumes map[string]string
}

// pipelineRunResult is a finished PipelineRun.
type pipelineRunResult struct {
	Run *v1.PipelineRun
	// TaskRuns by pipeline task name; Order is the order they ran in.
	TaskRuns map[string]*taskRunResult
	Order    []string
	// NotRun are the pipeline tasks never started, SkippedByWhen those
	// whose when expressions were false.
	NotRun, SkippedByWhen []string
	Results               map[string]string
	Succeeded             bool
	Reason                string
}

func (r *pipelineRunResult) String() string {
	var b strings.Builder
	status := "Succeeded"
	if !r.Succeeded {
		status = "Failed: " + r.Reason
	}
	fmt.Fprintf(&b, "PipelineRun %s/%s (pipeline %s): %s; ran %v, not run %v, skipped by when %v\n", r.Run.Namespace, r.Run.Name, r.Run.Spec.PipelineRef.Name, status, r.Order, r.NotRun, r.SkippedByWhen)
	for _, n := range r.Order {
		fmt.Fprintf(&b, "=== pipeline task %s\n%s", n, r.TaskRuns[n])
	}
	return b.String()
}

// runPipeline runs a PipelineRun as Tekton's PipelineRun reconciler would
// schedule it, with Tekton's own code for each decision: the DAG of runAfter
// and result references (dag.Build, dag.GetCandidateTasks), the PipelineRun
// checks (required params, param types, workspace bindings), the
// substitution of pipeline params, $(context.pipelineRun.*),
// $(context.pipeline.name) and workspaces (ApplyParameters, ApplyContexts,
// ApplyWorkspaces), and, before each task, the resolution of
// $(tasks.X.results.Y) from the finished TaskRuns (ResolveResultRef,
// ApplyTaskResults) and its when expressions. Each pipeline task then runs
// with runTask. Tasks run one at a time; once a task fails no new task
// starts, and the finally tasks run, as in Tekton.
func runPipeline(t *testing.T, in pipelineRun) *pipelineRunResult {
	t.Helper()
	ctx := tektonContext(t)
	pr := in.Run.DeepCopy()
	if pr.Name == "" {
		pr.Name = pr.GenerateName + generatedSuffix
	}
	if pr.Namespace == "" {
		pr.Namespace = "default"
	}
	if pr.UID == "" {
		h := sha256.Sum256([]byte(pr.Namespace + "/" + pr.Name))
		pr.UID = types.UID(fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16]))
	}
	if _, err := validateObject(ctx, pr); err != nil {
		t.Fatalf("Tekton rejects PipelineRun %s: %v", pr.Name, err)
	}
	if pr.Spec.PipelineRef == nil || pr.Spec.PipelineRef.Name != in.Pipeline.Name {
		t.Fatalf("PipelineRun %s does not refer to Pipeline %s", pr.Name, in.Pipeline.Name)
	}
	spec := in.Pipeline.Spec.DeepCopy()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("Tekton would fail PipelineRun %s before any task: "+format, append([]any{pr.Name}, args...)...)
	}
	graph, err := dag.Build(v1.PipelineTaskList(spec.Tasks), v1.PipelineTaskList(spec.Tasks).Deps())
	if err != nil {
		fail("invalid graph: %v", err)
	}
	if err := pipelineresources.ValidateRequiredParametersProvided(&spec.Params, &pr.Spec.Params); err != nil {
		fail("%v", err)
	}
	if err := pipelineresources.ValidateParamTypesMatching(spec, pr); err != nil {
		fail("%v", err)
	}
	if err := pipelineresources.ValidateObjectParamRequiredKeys(spec.Params, pr.Spec.Params); err != nil {
		fail("%v", err)
	}
	if err := pipelineresources.ValidateParamArrayIndex(spec, pr.Spec.Params); err != nil {
		fail("%v", err)
	}
	if err := pipelineresources.ValidateWorkspaceBindings(spec, pr); err != nil {
		fail("%v", err)
	}
	if err := pipelineresources.ValidateTaskRunSpecs(spec, pr); err != nil {
		fail("%v", err)
	}
	pipelineresources.ApplyParametersToWorkspaceBindings(pr)
	spec, err = pipelineresources.ApplyParameters(spec, pr)
	if err != nil {
		fail("%v", err)
	}
	spec = pipelineresources.ApplyContexts(spec, in.Pipeline.Name, pr)
	spec = pipelineresources.ApplyWorkspaces(spec, pr)
	pr.Status.PipelineSpec = spec

	// The directories of the PipelineRun's workspaces.
	wsDirs := map[string]string{}
	for _, b := range pr.Spec.Workspaces {
		var key string
		switch {
		case b.ConfigMap != nil:
			key = "configMap/" + b.ConfigMap.Name
		case b.Secret != nil:
			key = "secret/" + b.Secret.SecretName
		case b.PersistentVolumeClaim != nil:
			key = "persistentVolumeClaim/" + b.PersistentVolumeClaim.ClaimName
		case b.EmptyDir != nil, b.VolumeClaimTemplate != nil:
			wsDirs[b.Name] = filepath.Join(t.TempDir(), b.SubPath)
			continue
		default:
			t.Fatalf("PipelineRun %s: workspace %s is bound to something this harness cannot provide", pr.Name, b.Name)
		}
		dir, ok := in.Volumes[key]
		if !ok {
			t.Fatalf("PipelineRun %s binds workspace %s to %s: give the test a directory for it", pr.Name, b.Name, key)
		}
		wsDirs[b.Name] = filepath.Join(dir, b.SubPath)
	}

	res := &pipelineRunResult{Run: pr, TaskRuns: map[string]*taskRunResult{}, Results: map[string]string{}, Succeeded: true}
	var state pipelineresources.PipelineRunState
	for i := range spec.Tasks {
		state = append(state, &pipelineresources.ResolvedPipelineTask{PipelineTask: &spec.Tasks[i]})
	}
	byName := state.ToMap()

	// runOne runs one pipeline task; false when the PipelineRun fails.
	runOne := func(rpt *pipelineresources.ResolvedPipelineTask) bool {
		t.Helper()
		refs, _, err := pipelineresources.ResolveResultRef(state, rpt)
		if err != nil {
			res.Succeeded = false
			res.Reason = fmt.Sprintf("pipeline task %s: %v", rpt.PipelineTask.Name, err)
			return false
		}
		pipelineresources.ApplyTaskResults(pipelineresources.PipelineRunState{rpt}, refs)
		rpt.PipelineTask = pipelineresources.ApplyPipelineTaskContexts(rpt.PipelineTask, pr.Status, &pipelineresources.PipelineRunFacts{State: state})
		if err := rpt.EvaluateCEL(); err != nil {
			t.Fatalf("pipeline task %s: when: %v", rpt.PipelineTask.Name, err)
		}
		pt := rpt.PipelineTask
		if !pt.When.AllowsExecution(rpt.EvaluatedCEL) {
			res.SkippedByWhen = append(res.SkippedByWhen, pt.Name)
			return true
		}
		tr := taskRun{
			Name:       pipelineresources.GetTaskRunName(nil, pt.Name, pr.Name),
			Namespace:  pr.Namespace,
			UID:        fmt.Sprintf("%s-%s", pr.UID, pt.Name),
			Params:     pt.Params,
			Workspaces: map[string]string{},
		}
		switch {
		case pt.TaskRef != nil:
			if (pt.TaskRef.Kind != "" && pt.TaskRef.Kind != v1.NamespacedTaskKind) || pt.TaskRef.Resolver != "" {
				t.Fatalf("pipeline task %s refers to %s %q (resolver %q): this harness resolves Tasks of the namespace only", pt.Name, pt.TaskRef.Kind, pt.TaskRef.Name, pt.TaskRef.Resolver)
			}
			task, ok := in.Tasks[pt.TaskRef.Name]
			if !ok {
				res.Succeeded = false
				res.Reason = fmt.Sprintf("pipeline task %s: Task %q not found", pt.Name, pt.TaskRef.Name)
				return false
			}
			tr.TaskName, tr.Spec = task.Name, task.Spec.DeepCopy()
		case pt.TaskSpec != nil:
			tr.TaskName, tr.Spec, tr.Embedded = "", pt.TaskSpec.TaskSpec.DeepCopy(), true
		default:
			t.Fatalf("pipeline task %s has neither taskRef nor taskSpec (pipelines in pipelines are not supported)", pt.Name)
		}
		for _, w := range pt.Workspaces {
			name := w.Workspace
			if name == "" {
				name = w.Name
			}
			dir, ok := wsDirs[name]
			if !ok {
				continue // an optional pipeline workspace left unbound
			}
			tr.Workspaces[w.Name] = filepath.Join(dir, w.SubPath)
		}
		out, err := runTask(t, tr)
		if err != nil {
			t.Fatalf("pipeline task %s: %v", pt.Name, err)
		}
		rpt.TaskRunNames, rpt.TaskRuns = []string{out.Run.Name}, []*v1.TaskRun{out.Run}
		res.TaskRuns[pt.Name] = out
		res.Order = append(res.Order, pt.Name)
		if !out.Succeeded {
			res.Succeeded = false
			res.Reason = fmt.Sprintf("pipeline task %s (TaskRun %s): %s", pt.Name, out.Run.Name, out.Reason)
			return false
		}
		return true
	}

	var done []string
	finished := func(name string) bool {
		for _, d := range done {
			if d == name {
				return true
			}
		}
		return false
	}
dag:
	for {
		candidates, err := dag.GetCandidateTasks(graph, done...)
		if err != nil {
			t.Fatalf("PipelineRun %s: %v", pr.Name, err)
		}
		if candidates.Len() == 0 {
			break
		}
		for _, name := range candidates.List() {
			if !runOne(byName[name]) {
				break dag
			}
			done = append(done, name)
		}
	}
	for _, pt := range spec.Tasks {
		if !finished(pt.Name) && res.TaskRuns[pt.Name] == nil {
			res.NotRun = append(res.NotRun, pt.Name)
		}
	}

	// finally tasks run whether the DAG succeeded or not; one whose result
	// references cannot be resolved is not run, as in Tekton.
	for i := range spec.Finally {
		rpt := &pipelineresources.ResolvedPipelineTask{PipelineTask: &spec.Finally[i]}
		state = append(state, rpt)
		if _, _, err := pipelineresources.ResolveResultRef(state, rpt); err != nil {
			res.NotRun = append(res.NotRun, rpt.PipelineTask.Name)
			continue
		}
		succeeded, reason := res.Succeeded, res.Reason
		if !runOne(rpt) {
			if !succeeded {
				res.Reason = reason
			}
		}
	}

	// The PipelineRun's results, from its TaskRuns' results.
	status := map[string]string{}
	for n, tr := range res.TaskRuns {
		status["tasks."+n+".status"] = map[bool]string{true: v1.TaskRunReasonSuccessful.String(), false: v1.TaskRunReasonFailed.String()}[tr.Succeeded]
	}
	results, err := pipelineresources.ApplyTaskResultsToPipelineResults(spec.Results, state.GetTaskRunsResults(), nil, status)
	if err != nil && res.Succeeded {
		res.Succeeded = false
		res.Reason = fmt.Sprintf("pipeline results: %v", err)
	}
	for _, r := range results {
		res.Results[r.Name] = r.Value.StringVal
	}
	pr.Status.Results = results
	cond := &apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionTrue, Reason: "Succeeded"}
	if !res.Succeeded {
		cond = &apis.Condition{Type: apis.ConditionSucceeded, Status: corev1.ConditionFalse, Reason: "Failed", Message: res.Reason}
	}
	pr.Status.SetCondition(cond)
	return res
}
