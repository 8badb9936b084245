package tekton

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	v1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
)

// TestValidate decodes every YAML document under tasks/ and examples/
// strictly into Tekton v1.15.0's types and validates it as Tekton's admission
// webhook does on create. Documents of other APIs (tollgate policies,
// Kyverno and Kubewarden policies, ConfigMaps, Secrets) are skipped.
func TestValidate(t *testing.T) {
	t.Parallel()
	ctx := tektonContext(t)
	files := yamlFiles(t, "tasks", "examples")
	if len(files) == 0 {
		t.Fatal("no YAML files under tasks/ and examples/")
	}
	validated := 0
	for _, f := range files {
		docs, err := readDocuments(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, d := range docs {
			if !strings.HasPrefix(d.APIVersion, "tekton.dev/") {
				t.Logf("skipped %s: not a Tekton object", d)
				continue
			}
			validated++
			t.Run(fmt.Sprintf("%s#%d", f, d.Index), func(t *testing.T) {
				if _, err := decodeTekton(ctx, d); err != nil {
					t.Errorf("%s is not a valid Tekton object:\n%v", d, err)
				}
			})
		}
	}
	if validated == 0 {
		t.Fatal("no Tekton documents found under tasks/ and examples/")
	}
}

// TestValidateRejects shows that the validation TestValidate relies on bites:
// each broken Task is refused, with an error naming the problem, while the
// same Task without the defect passes.
func TestValidateRejects(t *testing.T) {
	t.Parallel()
	ctx := tektonContext(t)
	const valid = `apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: probe
spec:
  params:
    - name: IMAGE
      type: string
  results:
    - name: IMAGE_DIGEST
  steps:
    - name: sign
      image: ghcr.io/tollgate-dev/tollgate:v0.1.0
      command: [tollgate]
      args: [sign, $(params.IMAGE)]
`
	if _, err := decodeTekton(ctx, inline(t, valid)); err != nil {
		t.Fatalf("the valid probe Task is refused, so the cases below prove nothing: %v", err)
	}
	cases := []struct {
		name, yaml, want string
	}{
		{"undeclared param", strings.Replace(valid, "$(params.IMAGE)", "$(params.IMAGES)", 1), `non-existent variable in "$(params.IMAGES)"`},
		{"unknown field", strings.Replace(valid, "      command: [tollgate]\n", "      command: [tollgate]\n      commnd: [tollgate]\n", 1), `unknown field "commnd"`},
		{"step without image", strings.Replace(valid, "      image: ghcr.io/tollgate-dev/tollgate:v0.1.0\n", "", 1), "missing field(s): spec.steps[0].Image"},
		{"duplicate param", strings.Replace(valid, "  results:", "    - name: IMAGE\n      type: string\n  results:", 1), "parameter appears more than once"},
		{"array param inside a string", strings.NewReplacer("      type: string\n  results", "      type: array\n  results", "$(params.IMAGE)]", "--image=$(params.IMAGE)]").Replace(valid), "variable is not properly isolated"},
		{"bad result name", strings.Replace(valid, "- name: IMAGE_DIGEST", "- name: IMAGE DIGEST", 1), "invalid key name"},
		{"no steps", valid[:strings.Index(valid, "  steps:")], "missing field(s): spec.steps"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeTekton(ctx, inline(t, c.yaml))
			if err == nil {
				t.Fatalf("this Task was accepted:\n%s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("the error does not say %q:\n%v", c.want, err)
			}
		})
	}
	// A Pipeline whose task refers to a result no task declares a dependency on.
	pipeline := `apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: probe
spec:
  tasks:
    - name: verify
      taskRef: {name: tollgate-verify}
      params:
        - name: IMAGES
          value: ["$(tasks.sign.results.IMAGE_URL)"]
`
	if _, err := decodeTekton(ctx, inline(t, pipeline)); err == nil || !strings.Contains(err.Error(), "sign") {
		t.Errorf("a Pipeline referring to the results of a missing task was not refused as such: %v", err)
	}
}

func inline(t *testing.T, y string) document {
	t.Helper()
	var meta struct {
		APIVersion, Kind string
	}
	for _, line := range strings.Split(y, "\n") {
		if v, ok := strings.CutPrefix(line, "apiVersion: "); ok {
			meta.APIVersion = v
		}
		if v, ok := strings.CutPrefix(line, "kind: "); ok {
			meta.Kind = v
		}
	}
	return document{Path: "(inline)", Index: 1, Raw: []byte(y), APIVersion: meta.APIVersion, Kind: meta.Kind, Name: "probe"}
}

// TestTasksCatalog: tasks/ holds the four tollgate Tasks, each declaring the
// results Tekton Chains and the example Pipeline read.
func TestTasksCatalog(t *testing.T) {
	t.Parallel()
	c := mustLoadCatalog(t, "tasks")
	for _, name := range []string{"tollgate-sign", "tollgate-attest", "tollgate-verify", "tollgate-promote"} {
		task, ok := c.Tasks[name]
		if !ok {
			t.Errorf("tasks/ has no Task %s (it has %v)", name, sortedKeys(c.Tasks))
			continue
		}
		declared := map[string]bool{}
		for _, r := range task.Spec.Results {
			declared[r.Name] = true
		}
		for _, r := range []string{"IMAGE_DIGEST", "IMAGE_URL", "IMAGES"} {
			if !declared[r] {
				t.Errorf("Task %s (%s) does not declare result %s", name, c.From["Task/"+name].Path, r)
			}
		}
	}
	for _, d := range c.Docs {
		if d.Kind != "Task" {
			t.Errorf("tasks/ holds %s; only Tasks belong there", d)
		}
	}
}

// TestExampleReferences: every PipelineRun of examples/ runs a Pipeline of
// examples/, and every Pipeline of examples/ uses Tasks of tasks/ (or
// embedded ones), with the params and workspaces those Tasks declare.
func TestExampleReferences(t *testing.T) {
	t.Parallel()
	tasks := mustLoadCatalog(t, "tasks")
	ex := mustLoadCatalog(t, "examples")
	if len(ex.Pipelines) == 0 || len(ex.PipelineRuns) == 0 {
		t.Fatalf("examples/ has %d Pipelines and %d PipelineRuns; the Tekton example needs both", len(ex.Pipelines), len(ex.PipelineRuns))
	}
	for _, pr := range ex.PipelineRuns {
		switch {
		case pr.Spec.PipelineRef == nil:
			t.Errorf("PipelineRun %s%s embeds its Pipeline; the example should refer to one", pr.Name, pr.GenerateName)
		case ex.Pipelines[pr.Spec.PipelineRef.Name] == nil:
			t.Errorf("PipelineRun %s%s refers to Pipeline %q, which examples/ does not define (it has %v)", pr.Name, pr.GenerateName, pr.Spec.PipelineRef.Name, sortedKeys(ex.Pipelines))
		}
	}
	for _, p := range ex.Pipelines {
		for _, pt := range append(append([]v1.PipelineTask{}, p.Spec.Tasks...), p.Spec.Finally...) {
			if pt.TaskRef == nil {
				continue
			}
			task := tasks.Tasks[pt.TaskRef.Name]
			if task == nil {
				t.Errorf("Pipeline %s: task %s refers to Task %q, which tasks/ does not define (it has %v)", p.Name, pt.Name, pt.TaskRef.Name, sortedKeys(tasks.Tasks))
				continue
			}
			params := map[string]v1.ParamSpec{}
			for _, ps := range task.Spec.Params {
				params[ps.Name] = ps
			}
			given := map[string]bool{}
			for _, prm := range pt.Params {
				given[prm.Name] = true
				ps, ok := params[prm.Name]
				switch {
				case !ok:
					t.Errorf("Pipeline %s: task %s passes param %s, which Task %s does not declare", p.Name, pt.Name, prm.Name, task.Name)
				case ps.Type != prm.Value.Type:
					t.Errorf("Pipeline %s: task %s passes param %s as %s; Task %s declares it %s", p.Name, pt.Name, prm.Name, prm.Value.Type, task.Name, ps.Type)
				}
			}
			for _, ps := range task.Spec.Params {
				if ps.Default == nil && !given[ps.Name] {
					t.Errorf("Pipeline %s: task %s does not pass param %s, which Task %s requires", p.Name, pt.Name, ps.Name, task.Name)
				}
			}
			bound := map[string]bool{}
			for _, w := range pt.Workspaces {
				bound[w.Name] = true
			}
			for _, w := range task.Spec.Workspaces {
				if !w.Optional && !bound[w.Name] {
					t.Errorf("Pipeline %s: task %s does not bind workspace %s, which Task %s requires", p.Name, pt.Name, w.Name, task.Name)
				}
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
