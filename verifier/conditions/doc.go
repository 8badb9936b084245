// Package conditions evaluates what a policy requires of the content of a
// verified in-toto attestation, in two languages:
//
//   - CEL expressions (cel-go) over `statement`, `predicate`, `predicateType`
//     and `subject`; each must have type bool, checked when the policy loads,
//     and runs under a cost limit;
//   - Kyverno's conditions: blocks of `all` and `any` lists of
//     {key, operator, value, message}, where keys and values may hold
//     `{{ ... }}` JMESPath expressions evaluated against the predicate, with
//     Kyverno's operators (Equals, NotEquals, In, AnyIn, AllIn, NotIn,
//     AnyNotIn, AllNotIn, GreaterThan, GreaterThanOrEquals, LessThan,
//     LessThanOrEquals) and their semantics: wildcards in string values,
//     numbers, durations and resource quantities compared by value.
//
// Compile checks everything a policy author can get wrong (syntax, types,
// unknown operators and functions) so mistakes surface when the policy is
// loaded; Eval never panics and never passes on an error: a condition that
// cannot be evaluated fails, with a message naming it.
//
// The package never verifies signatures: it reads statements already
// verified by package verifier.
package conditions
