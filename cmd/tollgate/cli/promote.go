package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/ci"
	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/verifier/policy"
)

// PromoteOptions are the flags of promote.
type PromoteOptions struct {
	Policies []string
	DryRun   bool
	Registry RegistryOptions
	Output   OutputOptions
}

// AddFlags adds the flags.
func (o *PromoteOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Policies, "policy", nil, "policy file or directory (repeatable): tollgate, Kyverno or Kubewarden")
	fs.BoolVar(&o.DryRun, "dry-run", false, "verify, and print what would be copied; write nothing")
	o.Registry.AddFlags(fs)
	o.Output.AddFlags(fs)
}

func newPromote(streams IO) *cobra.Command {
	o := &PromoteOptions{}
	cmd := &cobra.Command{
		Use:   "promote --policy P SRC DST",
		Short: "Verify SRC against a policy, then copy it with its signatures and attestations to DST",
		Long: `Verifies SRC against the policy and, only when it is allowed, copies the
verified digest to DST: the image (an index with every platform), its cosign
signatures and attestations (merged with any at DST) and its referrers, then
DST's tag last, so a half-copied image is never reachable by tag. When
verification fails nothing is written to DST. Running it again changes
nothing. --dry-run verifies and prints the plan.`,
		Example: `  tollgate promote --policy policy.yaml registry.example.com/staging/app:v1 registry.example.com/prod/app:v1`,
		Args:    cobraArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPromote(cmd.Context(), streams, o, args[0], args[1])
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

func runPromote(ctx context.Context, streams IO, o *PromoteOptions, src, dst string) error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if len(o.Policies) == 0 {
		return usageError{errors.New("--policy is required")}
	}
	set, _, err := loadPolicies(streams, o.Policies)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, &o.Registry)
	defer cancel()
	client, err := o.Registry.NewClient(logger(streams.Err))
	if err != nil {
		return err
	}
	res, cr, err := flow.Promote(ctx, client, set, src, dst, flow.WithDryRun(o.DryRun))
	it := ci.Item{Image: src, OK: err == nil, Result: "promoted"}
	if cr != nil {
		it.Digest, it.Detail = cr.Destination, "from "+cr.Source
		if cr.DryRun {
			it.Result = "dry run"
		}
	}
	if err != nil {
		it.Result, it.Detail = status(err), err.Error()
	}
	if perr := publish(streams, ci.Report{Command: "promote", Items: []ci.Item{it}}); perr != nil {
		err = errors.Join(err, perr)
	}
	if o.Output.JSON() {
		out := struct {
			Decision *policy.Decision `json:"decision,omitempty"`
			Copy     *oci.CopyResult  `json:"copy,omitempty"`
			Error    string           `json:"error,omitempty"`
		}{Copy: cr}
		if res != nil {
			out.Decision = res.Decision
		}
		if err != nil {
			out.Error = err.Error()
		}
		enc := json.NewEncoder(streams.Out)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(out); jerr != nil {
			return jerr
		}
		return err
	}
	if err != nil {
		if res != nil && res.Decision != nil && !res.Decision.Allowed {
			return fmt.Errorf("%s: %w; nothing was written to %s", src, err, dst)
		}
		return err
	}
	verb := "promoted"
	if cr.DryRun {
		verb = "would promote"
	}
	fmt.Fprintf(streams.Err, "%s %s to %s: %d signatures, %d attestations, %d referrers added", verb, cr.Source, cr.Destination, cr.Signatures, cr.Attestations, cr.Referrers)
	if cr.Tag != "" {
		fmt.Fprintf(streams.Err, ", tagged %s", cr.Tag)
	}
	fmt.Fprintln(streams.Err)
	fmt.Fprintln(streams.Out, cr.Destination)
	return nil
}
