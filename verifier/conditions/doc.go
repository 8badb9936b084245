// Package conditions evaluates what a policy requires of the content of an
// in-toto attestation that has already been verified.
//
// It owns two condition languages, both compiled once when the policy is
// loaded and evaluated many times:
//
//   - CEL expressions (github.com/google/cel-go) over the variables
//     `statement` (the whole statement, a map), `predicate`,
//     `predicateType` (a string) and `subject` (a list), with cel-go's
//     strings and sets extensions and optional types. Every expression must
//     have type bool, which Compile checks. Evaluation runs under a cost
//     limit (DefaultCELCostLimit) and a deadline (DefaultTimeout).
//   - Kyverno's attestation conditions, as Kyverno writes them under
//     verifyImages[].attestations[].conditions: blocks of `all` and `any`
//     lists of {key, operator, value, message}. Keys and values may hold
//     `{{ ... }}` JMESPath expressions (standard JMESPath functions only),
//     evaluated against the predicate, as Kyverno does. The operators are
//     Kyverno's, with Kyverno's semantics: Equals, NotEquals, AnyIn, AllIn,
//     AnyNotIn, AllNotIn, GreaterThan, GreaterThanOrEquals, LessThan,
//     LessThanOrEquals, and the deprecated In, NotIn and Duration* that
//     Kyverno still accepts. Operator names are case-sensitive, as Kyverno's
//     CRD schema makes them.
//
// Compile catches everything a policy author can get wrong (syntax, types,
// unknown operators and functions, empty blocks, missing keys or values)
// and names the condition in its error, so mistakes surface when the
// policy is loaded. Statements come from registries and are untrusted:
// Eval never panics, never runs unbounded, and never passes a condition it
// could not evaluate. A missing or null value, a runtime type error, an
// exhausted budget or a statement that is not one JSON object with unique
// keys makes the condition fail, with the reason in Result.Failures.
//
// The package never fetches anything and never verifies signatures,
// certificates or transparency-log entries: it reads statements that
// package verifier has already verified, and imports no registry or CLI
// code.
package conditions
