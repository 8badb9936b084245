package conditions

import (
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
)

// celCostLimit bounds the work one expression may do on one statement.
const celCostLimit = 1_000_000

var (
	celEnvOnce sync.Once
	celEnv     *cel.Env
	celEnvErr  error
)

func env() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		celEnv, celEnvErr = cel.NewEnv(
			cel.Variable("statement", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("predicate", cel.DynType),
			cel.Variable("predicateType", cel.StringType),
			cel.Variable("subject", cel.ListType(cel.DynType)),
			ext.Strings(),
			ext.Lists(),
			ext.Sets(),
		)
	})
	return celEnv, celEnvErr
}

type celExpr struct {
	src string
	prg cel.Program
}

func compileCEL(src string) (*celExpr, error) {
	e, err := env()
	if err != nil {
		return nil, err
	}
	ast, iss := e.Compile(src)
	if iss != nil && iss.Err() != nil {
		return nil, iss.Err()
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		return nil, fmt.Errorf("has type %s, want bool", ast.OutputType())
	}
	prg, err := e.Program(ast, cel.EvalOptions(cel.OptTrackCost), cel.CostLimit(celCostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, err
	}
	return &celExpr{src: src, prg: prg}, nil
}

// eval returns nil when the expression is true, and why not otherwise.
func (c *celExpr) eval(st map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("CEL %q failed: %v", c.src, r)
		}
	}()
	pt, _ := st["predicateType"].(string)
	subj, _ := st["subject"].([]any)
	if subj == nil {
		subj = []any{}
	}
	pred := st["predicate"]
	if pred == nil {
		pred = map[string]any{}
	}
	out, _, err := c.prg.Eval(map[string]any{"statement": st, "predicate": pred, "predicateType": pt, "subject": subj})
	if err != nil {
		return fmt.Errorf("CEL %q failed: %v", c.src, err)
	}
	if b, ok := out.Value().(bool); !ok || !b {
		return fmt.Errorf("CEL %q is false", c.src)
	}
	return nil
}
