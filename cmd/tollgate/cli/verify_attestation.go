package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/ci"
	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/verifier"
)

// VerifyAttestationOptions are the flags of verify-attestation, as cosign's.
type VerifyAttestationOptions struct {
	Trust      TrustOptions
	Type       string
	MaxWorkers int
	Registry   RegistryOptions
	Output     OutputOptions
}

// AddFlags adds the flags.
func (o *VerifyAttestationOptions) AddFlags(fs *pflag.FlagSet) {
	o.Trust.AddFlags(fs)
	fs.StringVar(&o.Type, "type", "custom", "predicate type required: a URI or a short name, as in cosign")
	fs.IntVar(&o.MaxWorkers, "max-workers", flow.DefaultMaxWorkers, "images verified at once")
	o.Registry.AddFlags(fs)
	o.Output.AddFlags(fs)
}

func newVerifyAttestation(streams IO) *cobra.Command {
	o := &VerifyAttestationOptions{}
	cmd := &cobra.Command{
		Use:   "verify-attestation --key KEY --type T IMAGE...",
		Short: "Verify attestations of one predicate type; print each verified statement",
		Long: `Verifies the attestations of each image, in both formats (cosign's
sha256-<hex>.att tag and Sigstore bundle referrers), as cosign verify-attestation
does: an image passes when an attestation of exactly the predicate type --type
verifies with a given key and names the image's digest. Attestations of other
types never count; one that does not parse is reported, never skipped.

Each verified statement is printed on stdout, decoded, one JSON document per
line. Signatures are not checked: use 'tollgate verify --attestation-type' to
require both.`,
		Example: `  tollgate verify-attestation --key cosign.pub --type slsaprovenance1 registry.example.com/app:v1`,
		Args:    cobraArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerifyAttestation(cmd.Context(), streams, o, args)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

func runVerifyAttestation(ctx context.Context, streams IO, o *VerifyAttestationOptions, images []string) error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	types, err := predicateTypes([]string{o.Type})
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, &o.Registry)
	defer cancel()
	client, err := o.Registry.NewClient(logger(streams.Err))
	if err != nil {
		return err
	}
	vopts, err := o.Trust.VerifierOptions(ctx)
	if err != nil {
		return err
	}
	v, err := verifier.New(vopts...)
	if err != nil {
		return usageError{err}
	}
	results, err := flow.Verify(ctx, client, v, images, flow.WithoutSignatures(), flow.WithAttestations(types...), flow.WithMaxWorkers(o.MaxWorkers))
	if results == nil {
		return err
	}
	rep := ci.Report{Command: "verify-attestation"}
	for _, r := range results {
		it := item(r.Image, r.Digest, r.Err, "verified", "")
		if r.Err == nil {
			it.Detail = types[0]
		}
		rep.Items = append(rep.Items, it)
	}
	if perr := publish(streams, rep); perr != nil {
		err = errors.Join(err, perr)
	}
	if o.Output.JSON() {
		if jerr := writeVerifyJSON(streams, results); jerr != nil {
			return jerr
		}
		return err
	}
	for _, r := range results {
		if !r.Verified() {
			continue
		}
		for _, a := range r.Attestations {
			for _, s := range a.Result.Verified() {
				var buf bytes.Buffer
				if jerr := json.Compact(&buf, s.Statement); jerr != nil {
					return jerr
				}
				fmt.Fprintln(streams.Out, buf.String())
			}
		}
	}
	return err
}
