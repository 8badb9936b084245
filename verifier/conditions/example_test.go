package conditions_test

import (
	"errors"
	"fmt"

	"github.com/tollgate-dev/tollgate/verifier/conditions"
	"sigs.k8s.io/yaml"
)

func Example() {
	// What a policy writes under an attestation's conditions.
	policy := `
cel:
- predicate.reviewers.size() >= 2
kyverno:
- all:
  - key: "{{ repo.branch }}"
    operator: Equals
    value: main
  - key: "{{ reviewers }}"
    operator: AnyIn
    value: ["ana@example.com", "bob@example.com"]
`
	var spec conditions.Spec
	if err := yaml.UnmarshalStrict([]byte(policy), &spec); err != nil {
		panic(err)
	}
	program, err := conditions.Compile(spec)
	if err != nil {
		panic(err)
	}
	for _, predicate := range []string{
		`{"repo":{"branch":"main"},"reviewers":["ana@example.com","bob@example.com"]}`,
		`{"repo":{"branch":"dev"},"reviewers":["ana@example.com"]}`,
	} {
		statement := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"aa"}}],` +
			`"predicateType":"https://example.com/CodeReview/v1","predicate":` + predicate + `}`
		r := program.Eval([]byte(statement))
		fmt.Println(r.Passed)
		for _, f := range r.Failures {
			fmt.Println(" ", f)
		}
	}
	// Output:
	// true
	// false
	//   cel[0]: CEL "predicate.reviewers.size() >= 2" is false
	//   kyverno[0].all[0]: predicate.repo.branch ("dev") Equals "main" failed
}

func ExampleCompile_errors() {
	_, err := conditions.Compile(conditions.Spec{
		Kyverno: []conditions.Block{{All: []conditions.Condition{
			{Key: "{{ repo.branch }}", Operator: "Equal", Value: "main"},
		}}},
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, conditions.ErrInvalid), errors.Is(err, conditions.ErrUnknownOperator))
	var ce *conditions.CompileError
	if errors.As(err, &ce) {
		fmt.Println(ce.Path)
	}
	// Output:
	// kyverno[0].all[0] {key: "{{ repo.branch }}", operator: "Equal", value: "main"}: unknown operator "Equal": Kyverno's schema no longer accepts it; write "Equals"
	// true true
	// kyverno[0].all[0]
}
