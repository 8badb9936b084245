package conditions

import (
	"errors"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// statement wraps a predicate (JSON) in an in-toto statement.
func statement(predicate string) []byte {
	return []byte(`{"_type":"https://in-toto.io/Statement/v1",` +
		`"subject":[{"name":"registry.io/org/app","digest":{"sha256":"aa"}}],` +
		`"predicateType":"https://example.com/CodeReview/v1","predicate":` + predicate + `}`)
}

// reviewPredicate is the predicate of the seed document's code-review
// example, with a few more fields for the operator tests.
const reviewPredicate = `{"repo":{"uri":"https://git-repo.com/org/app","branch":"main"},` +
	`"reviewers":["ana@example.com","bob@example.com"],` +
	`"score":7,"ratio":0.75,"big":12345678,"approved":true,"nothing":null,` +
	`"size":"512Mi","timeout":"90s","version":"1.4.2","labels":{"team":"payments"},` +
	`"ports":[80,443],"empty":[],"tags":["v1.2.3","latest"]}`

var review = statement(reviewPredicate)

// kyvernoReview is the seed document's code-review conditions, as Kyverno
// writes them.
const kyvernoReviewYAML = `
kyverno:
- all:
  - key: "{{ repo.uri }}"
    operator: Equals
    value: "https://git-repo.com/org/app"
  - key: "{{ repo.branch }}"
    operator: Equals
    value: "main"
  - key: "{{ reviewers }}"
    operator: AnyIn
    value: ["ana@example.com", "bob@example.com"]
`

// celReview is the same checks in CEL.
var celReview = []string{
	`predicate.repo.uri == "https://git-repo.com/org/app"`,
	`predicate.repo.branch == "main"`,
	`predicate.reviewers.exists(r, r in ["ana@example.com", "bob@example.com"])`,
}

// parseSpec reads a Spec as a policy loader does: sigs.k8s.io/yaml, strict.
func parseSpec(t *testing.T, y string) Spec {
	t.Helper()
	var s Spec
	if err := yaml.UnmarshalStrict([]byte(y), &s); err != nil {
		t.Fatalf("yaml.UnmarshalStrict(%q) error = %v", y, err)
	}
	return s
}

func mustCompile(t testing.TB, spec Spec, opts ...Option) *Program {
	t.Helper()
	p, err := Compile(spec, opts...)
	if err != nil {
		t.Fatalf("Compile(%+v) error = %v", spec, err)
	}
	return p
}

// TestCodeReview: the seed document's example passes written Kyverno's way
// and in CEL; a predicate that breaks one condition fails both, naming
// that condition.
func TestCodeReview(t *testing.T) {
	specs := []struct {
		name string
		spec Spec
	}{
		{"kyverno", parseSpec(t, kyvernoReviewYAML)},
		{"cel", Spec{CEL: celReview}},
	}
	tests := []struct {
		name      string
		predicate string
		want      []string // substrings of the one failure, nil to pass
	}{
		{"passes", reviewPredicate, nil},
		{"other branch", strings.Replace(reviewPredicate, `"branch":"main"`, `"branch":"dev"`, 1), []string{"branch"}},
		{"other reviewer", strings.Replace(reviewPredicate, `["ana@example.com","bob@example.com"]`, `["mallory@example.com"]`, 1), []string{"reviewers"}},
		{"no branch", strings.Replace(reviewPredicate, `"branch":"main"`, `"tag":"main"`, 1), []string{"branch"}},
	}
	for _, s := range specs {
		p := mustCompile(t, s.spec)
		for _, tc := range tests {
			t.Run(s.name+"/"+tc.name, func(t *testing.T) {
				r := p.Eval(statement(tc.predicate))
				if tc.want == nil {
					if !r.Passed || len(r.Failures) != 0 {
						t.Fatalf("Eval(%s) = %+v, want it to pass", tc.name, r)
					}
					return
				}
				if r.Passed || len(r.Failures) != 1 {
					t.Fatalf("Eval(%s) = %+v, want exactly one failure", tc.name, r)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.Failures[0], w) {
						t.Errorf("Eval(%s) failure = %q, want it to name %q", tc.name, r.Failures[0], w)
					}
				}
			})
		}
	}
}

// TestFailureMessages: a failure names the condition and what it saw, or
// uses the condition's message.
func TestFailureMessages(t *testing.T) {
	dev := statement(strings.Replace(reviewPredicate, `"branch":"main"`, `"branch":"dev"`, 1))
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"generated", parseSpec(t, kyvernoReviewYAML), `kyverno[0].all[1]: predicate.repo.branch ("dev") Equals "main" failed`},
		{"message", Spec{Kyverno: []Block{{All: []Condition{{Key: "{{ repo.branch }}", Operator: "Equals", Value: "main", Message: "deploy from main only"}}}}}, `kyverno[0].all[0]: deploy from main only`},
		{"expression", Spec{Kyverno: []Block{{All: []Condition{{Key: "{{ length(reviewers) }}", Operator: "GreaterThan", Value: 2}}}}}, `kyverno[0].all[0]: {{ length(reviewers) }} (2) GreaterThan 2 failed`},
		{"templated value", Spec{Kyverno: []Block{{All: []Condition{{Key: "main", Operator: "Equals", Value: "{{ repo.branch }}"}}}}}, `kyverno[0].all[0]: "main" Equals predicate.repo.branch ("dev") failed`},
		{"missing", Spec{Kyverno: []Block{{All: []Condition{{Key: "{{ repo.owner }}", Operator: "NotEquals", Value: "x"}}}}}, `kyverno[0].all[0]: predicate.repo.owner NotEquals "x": cannot evaluate: {{ repo.owner }} is missing or null`},
		{"any", Spec{Kyverno: []Block{{Any: []Condition{
			{Key: "{{ repo.branch }}", Operator: "Equals", Value: "main"},
			{Key: "{{ repo.branch }}", Operator: "Equals", Value: "release-*", Message: "or a release branch"},
		}}}}, `kyverno[0].any: no condition holds: kyverno[0].any[0]: predicate.repo.branch ("dev") Equals "main" failed; kyverno[0].any[1]: or a release branch`},
		{"cel false", Spec{CEL: []string{`predicate.reviewers.size() >= 3`}}, `cel[0]: CEL "predicate.reviewers.size() >= 3" is false`},
		{"cel error", Spec{CEL: []string{`predicate.repo.owner == "x"`}}, `cel[0]: CEL "predicate.repo.owner == \"x\"" failed: no such key: owner`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCompile(t, tc.spec).Eval(dev)
			if r.Passed || len(r.Failures) != 1 || r.Failures[0] != tc.want {
				t.Errorf("Eval(dev).Failures = %q, want [%q]", r.Failures, tc.want)
			}
		})
	}
}

func TestBlocks(t *testing.T) {
	eq := func(v string) Condition { return Condition{Key: "{{ repo.branch }}", Operator: "Equals", Value: v} }
	tests := []struct {
		name   string
		blocks []Block
		want   bool
	}{
		{"all hold", []Block{{All: []Condition{eq("main"), eq("ma*")}}}, true},
		{"one of all fails", []Block{{All: []Condition{eq("main"), eq("dev")}}}, false},
		{"one of any holds", []Block{{Any: []Condition{eq("dev"), eq("main")}}}, true},
		{"none of any holds", []Block{{Any: []Condition{eq("dev"), eq("release")}}}, false},
		{"all and any hold", []Block{{All: []Condition{eq("main")}, Any: []Condition{eq("dev"), eq("main")}}}, true},
		{"all holds, any does not", []Block{{All: []Condition{eq("main")}, Any: []Condition{eq("dev")}}}, false},
		{"any holds, all does not", []Block{{All: []Condition{eq("dev")}, Any: []Condition{eq("main")}}}, false},
		{"every block must pass", []Block{{All: []Condition{eq("main")}}, {Any: []Condition{eq("dev")}}}, false},
		{"missing key in any", []Block{{Any: []Condition{{Key: "{{ nope }}", Operator: "NotEquals", Value: "x"}, eq("main")}}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCompile(t, Spec{Kyverno: tc.blocks}).Eval(review)
			if r.Passed != tc.want || r.Passed != (len(r.Failures) == 0) {
				t.Errorf("Eval(%s) = %+v, want Passed %v", tc.name, r, tc.want)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	cond := func(key any, op string, value any) Spec {
		return Spec{Kyverno: []Block{{All: []Condition{{Key: key, Operator: op, Value: value}}}}}
	}
	tests := []struct {
		name   string
		spec   Spec
		path   string
		target error
		want   string
	}{
		{"empty spec", Spec{}, "conditions", nil, "neither cel nor kyverno"},
		{"cel syntax", Spec{CEL: []string{`predicate.score +`}}, "cel[0]", nil, "Syntax error"},
		{"cel int", Spec{CEL: []string{`true`, `predicate.score + 1 == 2`, `size(subject)`}}, "cel[2]", ErrNotBool, "has type int"},
		{"cel dyn", Spec{CEL: []string{`predicate.approved`}}, "cel[0]", ErrNotBool, `compare it explicitly`},
		{"cel string", Spec{CEL: []string{`"x"`}}, "cel[0]", ErrNotBool, `cel[0] "\"x\"": CEL expression is not of type bool: it has type string`},
		{"cel undeclared", Spec{CEL: []string{`request.object == 1`}}, "cel[0]", nil, "undeclared reference to 'request'"},
		{"cel unknown function", Spec{CEL: []string{`predicate.x.base64() == "a"`}}, "cel[0]", nil, "undeclared reference to 'base64'"},
		{"unknown operator", cond("{{ a }}", "Equal", "x"), "kyverno[0].all[0]", ErrUnknownOperator, `kyverno[0].all[0] {key: "{{ a }}", operator: "Equal", value: "x"}: unknown operator "Equal"`},
		{"NotEqual", cond("{{ a }}", "NotEqual", "x"), "kyverno[0].all[0]", ErrUnknownOperator, `write "NotEquals"`},
		{"case", cond("{{ a }}", "equals", "x"), "kyverno[0].all[0]", ErrUnknownOperator, `case-sensitive; write "Equals"`},
		{"made up", cond("{{ a }}", "Matches", "x"), "kyverno[0].all[0]", ErrUnknownOperator, `want one of AllIn, AllNotIn, AnyIn`},
		{"no operator", cond("{{ a }}", "", "x"), "kyverno[0].all[0]", ErrUnknownOperator, `operator is required`},
		{"JMESPath syntax", Spec{Kyverno: []Block{{Any: []Condition{{Key: "{{ a[ }}", Operator: "Equals", Value: "x"}}}}}, "kyverno[0].any[0]", nil, "key: {{ a[ }}: JMESPath: SyntaxError"},
		{"Kyverno function", cond("{{ base64_decode(a) }}", "Equals", "x"), "kyverno[0].all[0]", ErrUnknownFunction, "unknown JMESPath function base64_decode()"},
		{"nested function", cond("x", "Equals", "{{ a[?starts_with(b, 'c')].to_upper(@) }}"), "kyverno[0].all[0]", ErrUnknownFunction, "to_upper()"},
		{"arity", cond("{{ length(a, b) }}", "Equals", 1), "kyverno[0].all[0]", ErrUnknownFunction, "length() takes 1 arguments, not 2"},
		{"expref", cond("{{ sort_by(a, b) }}", "Equals", 1), "kyverno[0].all[0]", ErrUnknownFunction, "argument 2 of sort_by() must be an &expression"},
		{"not expref", cond("{{ length(&a) }}", "Equals", 1), "kyverno[0].all[0]", ErrUnknownFunction, "cannot be an &expression"},
		{"variadic", cond("{{ not_null() }}", "Equals", 1), "kyverno[0].all[0]", ErrUnknownFunction, "not_null() takes 1 or more arguments, not 0"},
		{"in a list value", cond("x", "AnyIn", []any{"a", "{{ b[ }}"}), "kyverno[0].all[0]", nil, "value: [1]: {{ b[ }}: JMESPath"},
		{"empty expression", cond("{{ }}", "Equals", "x"), "kyverno[0].all[0]", nil, "empty expression"},
		{"at", cond("{{ @ }}", "Equals", "x"), "kyverno[0].all[0]", nil, "admission request"},
		{"nested", cond("{{ a.{{ b }} }}", "Equals", "x"), "kyverno[0].all[0]", nil, "unterminated or nested {{"},
		{"unterminated", cond("{{ a", "Equals", "x"), "kyverno[0].all[0]", nil, "unterminated or nested {{"},
		{"reference", cond("$(./../key)", "Equals", "x"), "kyverno[0].all[0]", nil, "$(...) references are not supported"},
		{"object key", cond("x", "Equals", map[string]any{"{{ a }}": 1}), "kyverno[0].all[0]", nil, "expressions in object keys"},
		{"no key", cond(nil, "Equals", "x"), "kyverno[0].all[0]", nil, "key is required"},
		{"no value", cond("{{ a }}", "NotEquals", nil), "kyverno[0].all[0]", nil, "value is required"},
		{"empty block", Spec{Kyverno: []Block{{}}}, "kyverno[0]", nil, "kyverno[0]: a block needs conditions under all or any"},
		{"empty any", Spec{Kyverno: []Block{{All: []Condition{{Key: "a", Operator: "Equals", Value: "a"}}, Any: []Condition{}}}}, "kyverno[0].any", nil, "could never pass"},
		{"second block", Spec{Kyverno: []Block{{All: []Condition{{Key: "a", Operator: "Equals", Value: "a"}}}, {Any: []Condition{{Key: "a", Operator: "Equals", Value: "a"}, {Key: "a", Operator: "In"}}}}}, "kyverno[1].any[1]", nil, "value is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.spec)
			if err == nil {
				t.Fatalf("Compile(%s) error = nil, want one", tc.name)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Compile(%s) error = %v, want errors.Is ErrInvalid", tc.name, err)
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Errorf("Compile(%s) error = %v, want errors.Is %v", tc.name, err, tc.target)
			}
			var ce *CompileError
			if !errors.As(err, &ce) || ce.Path != tc.path {
				t.Errorf("Compile(%s) error = %v, want a *CompileError at %s", tc.name, err, tc.path)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Compile(%s) error = %q, want it to mention %q", tc.name, err, tc.want)
			}
		})
	}
}

// TestCompileErrorsJoined: every rejected condition is reported, not just
// the first.
func TestCompileErrorsJoined(t *testing.T) {
	_, err := Compile(Spec{
		CEL:     []string{`1`, `true`, `"a"`},
		Kyverno: []Block{{All: []Condition{{Key: "a", Operator: "Equal", Value: "a"}, {Key: "a", Operator: "Equals", Value: "a"}, {Key: "a", Operator: "Same", Value: "a"}}}},
	})
	var paths []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *CompileError
		if errors.As(e, &ce) {
			paths = append(paths, ce.Path)
		}
	}
	if got, want := strings.Join(paths, " "), "cel[0] cel[2] kyverno[0].all[0] kyverno[0].all[2]"; got != want {
		t.Errorf("Compile() rejected %q, want %q", got, want)
	}
}

func TestOptions(t *testing.T) {
	spec := Spec{CEL: []string{"true"}}
	tests := []struct {
		name    string
		opts    []Option
		wantErr bool
	}{
		{"defaults", nil, false},
		{"cost", []Option{WithCELCostLimit(10)}, false},
		{"zero cost", []Option{WithCELCostLimit(0)}, true},
		{"timeout", []Option{WithTimeout(time.Second)}, false},
		{"zero timeout", []Option{WithTimeout(0)}, true},
		{"negative timeout", []Option{WithTimeout(-time.Second)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(spec, tc.opts...)
			if (err != nil) != tc.wantErr {
				t.Errorf("Compile(%s) error = %v, want error %v", tc.name, err, tc.wantErr)
			}
		})
	}
	o, err := makeOptions(nil)
	if err != nil || o.celCostLimit != DefaultCELCostLimit || o.timeout != DefaultTimeout {
		t.Errorf("makeOptions(nil) = %+v, %v, want the defaults", o, err)
	}
}

// TestStatements: what is not one well-formed in-toto statement fails
// every condition, never passes.
func TestStatements(t *testing.T) {
	p := mustCompile(t, Spec{CEL: []string{"true"}, Kyverno: []Block{{All: []Condition{{Key: "a", Operator: "Equals", Value: "a"}}}}})
	tests := []struct {
		name      string
		statement string
		want      string
	}{
		{"not JSON", `{not json`, "statement: not valid JSON"},
		{"array", `[]`, "statement: not a JSON object"},
		{"trailing", `{"predicate":{}} {}`, "data after the top-level value"},
		{"duplicate key", `{"predicate":{"a":1,"a":2},"predicateType":"x","subject":[]}`, `duplicate key "a"`},
		{"duplicate top-level key", `{"predicateType":"x","predicateType":"y","subject":[],"predicate":{}}`, `duplicate key "predicateType"`},
		{"huge number", `{"predicate":{"a":1e400},"predicateType":"x","subject":[]}`, "out of range"},
		{"deep", strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1), "nested deeper than"},
		{"no predicateType", `{"subject":[],"predicate":{}}`, "predicateType is not a string"},
		{"subject not a list", `{"predicateType":"x","subject":{},"predicate":{}}`, "subject is not a list"},
		{"predicate not an object", `{"predicateType":"x","subject":[],"predicate":[1]}`, "predicate is not an object"},
		{"empty", ``, "statement: not valid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Eval([]byte(tc.statement))
			if r.Passed || !strings.Contains(strings.Join(r.Failures, "\n"), tc.want) {
				t.Errorf("Eval(%.40q) = %+v, want a failure mentioning %q", tc.statement, r, tc.want)
			}
		})
	}
	if r := p.Eval(make([]byte, maxStatement+1)); r.Passed || !strings.Contains(r.Failures[0], "exceeds the limit") {
		t.Errorf("Eval(too large) = %+v, want a size failure", r.Failures)
	}
}

// TestSanitize: text from a statement cannot carry terminal escapes or
// bidirectional overrides into a failure.
func TestSanitize(t *testing.T) {
	p := mustCompile(t, Spec{Kyverno: []Block{{All: []Condition{{Key: "{{ repo.branch }}", Operator: "Equals", Value: "main"}}}}})
	r := p.Eval(statement(`{"repo":{"branch":"\u001b[31mred\u202e\nx"}}`))
	if len(r.Failures) != 1 || strings.ContainsAny(r.Failures[0], "\x1b\u202e\n") {
		t.Errorf("Eval(escapes).Failures = %q, want them escaped", r.Failures)
	}
}

// TestConcurrent: a Program is safe for concurrent use (run with -race).
func TestConcurrent(t *testing.T) {
	spec := parseSpec(t, kyvernoReviewYAML)
	spec.CEL = celReview
	p := mustCompile(t, spec)
	done := make(chan Result)
	for i := 0; i < 8; i++ {
		go func() { done <- p.Eval(review) }()
	}
	for i := 0; i < 8; i++ {
		if r := <-done; !r.Passed {
			t.Errorf("Eval(review) = %+v, want it to pass", r)
		}
	}
}
