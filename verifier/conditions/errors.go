package conditions

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by every error about a condition that Compile
	// returns.
	ErrInvalid = errors.New("invalid condition")
	// ErrUnknownOperator is wrapped when a Kyverno condition names an
	// operator Kyverno does not accept.
	ErrUnknownOperator = errors.New("unknown operator")
	// ErrUnknownFunction is wrapped when a JMESPath expression calls a
	// function that is not a standard JMESPath function (Kyverno's own
	// functions are not supported), or calls one with the wrong arguments.
	ErrUnknownFunction = errors.New("unknown JMESPath function")
	// ErrNotBool is wrapped when a CEL expression does not have type bool.
	ErrNotBool = errors.New("CEL expression is not of type bool")
)

// CompileError is a condition that Compile rejected. It wraps ErrInvalid
// and the specific reason (ErrUnknownOperator, ErrUnknownFunction,
// ErrNotBool, or a syntax error).
type CompileError struct {
	// Path locates the condition in the Spec, as its fields are spelled in
	// a policy file: "cel[1]", "kyverno[0]", "kyverno[0].all[2]".
	Path string
	// Condition is the condition as written, for people.
	Condition string
	// Err is why it was rejected.
	Err error
}

func (e *CompileError) Error() string {
	if e.Condition == "" {
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Path, e.Condition, e.Err)
}

// Unwrap returns ErrInvalid and the reason.
func (e *CompileError) Unwrap() []error { return []error{ErrInvalid, e.Err} }
