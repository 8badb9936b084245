package provenance

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// maxRunObject bounds a TaskRun or PipelineRun object read.
const maxRunObject = 8 << 20

// Tekton is a TaskRun or PipelineRun.
type Tekton struct {
	env Env
	run tektonRun
}

// tektonRun is the part of a TaskRun or PipelineRun provenance needs.
type tektonRun struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		UID       string `json:"uid"`
	} `json:"metadata"`
	Spec   map[string]any `json:"spec"`
	Status struct {
		StartTime      *time.Time `json:"startTime"`
		CompletionTime *time.Time `json:"completionTime"`
		Results        []result   `json:"results"`         // TaskRun (v1)
		TaskResults    []result   `json:"taskResults"`     // TaskRun (v1beta1)
		PipelineResult []result   `json:"pipelineResults"` // PipelineRun (v1beta1)
	} `json:"status"`
}

type result struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Kind is tekton.
func (t *Tekton) Kind() string { return "tekton" }

// FromTektonRun reads a TaskRun or PipelineRun object (JSON or YAML, as
// `kubectl get -o yaml` prints it).
func FromTektonRun(data []byte, env Env) (*Tekton, error) {
	if len(data) > maxRunObject {
		return nil, fmt.Errorf("Tekton run object larger than %d bytes", maxRunObject)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("Tekton run object: %w", err)
	}
	var r tektonRun
	if err := json.Unmarshal(j, &r); err != nil {
		return nil, fmt.Errorf("Tekton run object: %w", err)
	}
	if r.Kind != "TaskRun" && r.Kind != "PipelineRun" {
		return nil, fmt.Errorf("Tekton run object of kind %q, want TaskRun or PipelineRun", r.Kind)
	}
	if r.Metadata.Name == "" {
		return nil, errors.New("Tekton run object without metadata.name")
	}
	if r.Spec == nil {
		return nil, errors.New("Tekton run object without spec")
	}
	return &Tekton{env: env, run: r}, nil
}

// tektonFromEnv reads the environment contract tollgate's Tasks set.
func tektonFromEnv(env Env) (*Tekton, error) {
	var r tektonRun
	r.Kind = "TaskRun"
	r.Metadata.Name = env.Getenv("TOLLGATE_TEKTON_TASKRUN_NAME")
	r.Metadata.Namespace = env.Getenv("TOLLGATE_TEKTON_NAMESPACE")
	r.Metadata.UID = env.Getenv("TOLLGATE_TEKTON_TASKRUN_UID")
	spec := map[string]any{}
	if t := env.Getenv("TOLLGATE_TEKTON_TASK_NAME"); t != "" {
		spec["taskRef"] = map[string]any{"name": t, "kind": "Task"}
	}
	if raw := env.Getenv("TOLLGATE_TEKTON_PARAMS"); raw != "" {
		var params map[string]any
		if err := json.Unmarshal([]byte(raw), &params); err != nil {
			return nil, fmt.Errorf("TOLLGATE_TEKTON_PARAMS is not a JSON object: %w", err)
		}
		var list []any
		for _, k := range keys(params) {
			list = append(list, map[string]any{"name": k, "value": params[k]})
		}
		spec["params"] = list
	}
	if pr := env.Getenv("TOLLGATE_TEKTON_PIPELINERUN_NAME"); pr != "" {
		spec["pipelineRun"] = map[string]any{"name": pr, "pipeline": env.Getenv("TOLLGATE_TEKTON_PIPELINE_NAME")}
	}
	r.Spec = spec
	if u := env.Getenv("TOLLGATE_TEKTON_SOURCE_URL"); u != "" {
		r.Status.Results = append(r.Status.Results, result{Name: "CHAINS-GIT_URL", Value: u})
	}
	if c := env.Getenv("TOLLGATE_TEKTON_SOURCE_COMMIT"); c != "" {
		r.Status.Results = append(r.Status.Results, result{Name: "CHAINS-GIT_COMMIT", Value: c})
	}
	return &Tekton{env: env, run: r}, nil
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (t *Tekton) build() (*build, error) {
	r := t.run
	b := &build{
		buildType:    TektonBuildType,
		builderID:    TektonBuilderID,
		external:     map[string]any{"runSpec": r.Spec},
		internal:     map[string]any{"tekton": map[string]any{"kind": r.Kind, "name": r.Metadata.Name, "namespace": r.Metadata.Namespace}},
		invocationID: r.Metadata.UID,
		entryPoint:   entryPoint(r),
	}
	if b.invocationID == "" {
		b.invocationID = fmt.Sprintf("%s/%s/%s", strings.ToLower(r.Kind), r.Metadata.Namespace, r.Metadata.Name)
	}
	if r.Status.StartTime != nil {
		b.startedOn = *r.Status.StartTime
	}
	if r.Status.CompletionTime != nil {
		b.finishedOn = *r.Status.CompletionTime
	} else {
		b.finishedOn = t.env.Now()
	}
	// The source: Chains type hints in results (*-GIT_URL / *-GIT_COMMIT, or
	// *ARTIFACT_INPUTS {uri, digest}), else params named like them.
	url, commit := "", ""
	var inputs []dep
	results := append(append(append([]result{}, r.Status.Results...), r.Status.TaskResults...), r.Status.PipelineResult...)
	for _, res := range results {
		s, _ := res.Value.(string)
		switch {
		case strings.HasSuffix(res.Name, "GIT_URL") || strings.HasSuffix(res.Name, "-url") && strings.Contains(res.Name, "git"):
			url = s
		case strings.HasSuffix(res.Name, "GIT_COMMIT"):
			commit = s
		case strings.HasSuffix(res.Name, "ARTIFACT_INPUTS"):
			if m, ok := res.Value.(map[string]any); ok {
				if u, ok := m["uri"].(string); ok {
					d := dep{name: "inputs/result", uri: u}
					if dg, ok := m["digest"].(string); ok {
						if alg, v, ok := strings.Cut(dg, ":"); ok {
							d.digest = map[string]string{alg: v}
						}
					}
					inputs = append(inputs, d)
				}
			}
		}
	}
	if url == "" || commit == "" {
		for _, p := range params(r.Spec) {
			n := strings.ToLower(p.Name)
			s, _ := p.Value.(string)
			switch {
			case url == "" && (n == "git-url" || n == "url" || n == "repo-url" || strings.HasSuffix(n, "git_url")):
				url = s
			case commit == "" && (n == "git-revision" || n == "revision" || n == "commit" || strings.HasSuffix(n, "git_commit")):
				commit = s
			}
		}
	}
	if url != "" {
		d := dep{name: "inputs/result", uri: gitURI(url)}
		// A revision that is a branch or tag name is no digest: the
		// dependency is then recorded without one.
		if isCommit(commit) {
			d.digest = map[string]string{"sha1": commit}
		}
		b.deps = append(b.deps, d)
	}
	b.deps = append(b.deps, inputs...)
	if ref, ok := r.Spec["taskRef"].(map[string]any); ok {
		if bundle, ok := ref["bundle"].(string); ok && bundle != "" {
			b.deps = append(b.deps, dep{name: "task", uri: "oci://" + bundle})
		}
	}
	return b, nil
}

func params(spec map[string]any) []result {
	list, _ := spec["params"].([]any)
	var out []result
	for _, p := range list {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		out = append(out, result{Name: name, Value: m["value"]})
	}
	return out
}

func entryPoint(r tektonRun) string {
	for _, k := range []string{"taskRef", "pipelineRef"} {
		if ref, ok := r.Spec[k].(map[string]any); ok {
			if n, ok := ref["name"].(string); ok {
				return n
			}
		}
	}
	return ""
}

// gitURI writes a repository URL as Chains does: git+URL.
func gitURI(u string) string {
	if strings.HasPrefix(u, "git+") {
		return u
	}
	return "git+" + u
}

// isCommit reports whether s is a full git commit id (SHA-1 or SHA-256).
func isCommit(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
