package conditions

import "testing"

// FuzzEval: any statement bytes, against the compiled code-review
// conditions in both languages, never panic and never hang.
func FuzzEval(f *testing.F) {
	f.Add([]byte(review))
	f.Add([]byte(`{"predicate":{"reviewers":"ana@example.com","repo":[]}}`))
	f.Add([]byte(`{"predicate":null}`))
	f.Add([]byte(`[]`))
	p, err := Compile(Spec{Kyverno: kyvernoReview, CEL: celReview})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := p.Eval(b)
		if r.Passed && len(r.Failures) > 0 {
			t.Fatal("passed with failures")
		}
	})
}

// FuzzCompile: any condition text never panics the compiler; what compiles
// evaluates.
func FuzzCompile(f *testing.F) {
	f.Add("{{ repo.uri }}", "Equals", "x", "predicate.a == 1")
	f.Add("{{ a[?b=='c'] }}", "AnyIn", "{{ d }}", "size(predicate) > 1")
	f.Add("{{", "GreaterThan", "}}", ")")
	f.Fuzz(func(t *testing.T, key, op, value, expr string) {
		p, err := Compile(Spec{CEL: []string{expr}, Kyverno: []Block{{All: []Condition{{Key: key, Operator: op, Value: value}}}}})
		if err != nil {
			return
		}
		_ = p.Eval([]byte(review))
	})
}
