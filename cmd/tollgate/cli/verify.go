package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/signer"
	"github.com/tollgate-dev/tollgate/verifier"
)

// VerifyOptions are the flags of verify.
type VerifyOptions struct {
	Keys               []string
	Annotations        []string
	MaxWorkers         int
	InsecureIgnoreTlog bool
	Registry           RegistryOptions
	Output             OutputOptions
}

// AddFlags adds the flags. Names follow cosign's.
func (o *VerifyOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Keys, "key", nil, "public key a valid signature verifies with: a PEM file or env://VAR (repeatable: any of them)")
	fs.StringSliceVarP(&o.Annotations, "annotations", "a", nil, "key=value annotation a valid signature must carry (repeatable: all of them)")
	fs.IntVar(&o.MaxWorkers, "max-workers", flow.DefaultMaxWorkers, "images verified at once")
	fs.BoolVar(&o.InsecureIgnoreTlog, "insecure-ignore-tlog", true, "accepted for cosign compatibility: key signatures are verified without a transparency log entry; false is refused until tlog verification exists")
	o.Registry.AddFlags(fs)
	o.Output.AddFlags(fs)
}

// VerifierOptions loads the keys the flags name.
func (o *VerifyOptions) VerifierOptions(ctx context.Context) ([]verifier.Option, error) {
	if len(o.Keys) == 0 {
		return nil, usageError{errors.New("--key is required")}
	}
	if !o.InsecureIgnoreTlog {
		return nil, usageError{errors.New("--insecure-ignore-tlog=false: verifying transparency log entries of key signatures is not supported yet")}
	}
	var keys []verifier.TrustedKey
	for _, ref := range o.Keys {
		pub, err := signer.LoadPublicKey(ctx, ref)
		if err != nil {
			return nil, usageError{err}
		}
		keys = append(keys, verifier.TrustedKey{Name: ref, Key: pub})
	}
	return []verifier.Option{verifier.WithPublicKeys(keys...)}, nil
}

// FlowOptions turns the flags into flow options.
func (o *VerifyOptions) FlowOptions() ([]flow.Option, error) {
	ann, err := parseAnnotations(o.Annotations)
	if err != nil {
		return nil, err
	}
	return []flow.Option{flow.WithAnnotations(ann), flow.WithMaxWorkers(o.MaxWorkers)}, nil
}

func newVerify(streams IO) *cobra.Command {
	o := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify --key KEY IMAGE...",
		Short: "Verify image signatures; print each verified image as repo@sha256:...",
		Long: `Verifies the signatures of each image, in both formats (cosign's
sha256-<hex>.sig tag and Sigstore bundles attached as OCI 1.1 referrers). An
image passes when at least one signature verifies with a given key, names the
image's exact digest and carries every required annotation.

Each verified image is printed on stdout as repo@sha256:...; use that digest,
never the tag, from then on. The exit code is 0 when every image passed, 1 when
any was denied, 3 when any could not be checked (see docs/exit-codes.md).`,
		Example: `  tollgate verify --key cosign.pub registry.example.com/app:v1
  tollgate verify --key cosign.pub -a team=payments --output json registry.example.com/app@sha256:...`,
		Args: cobraArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), streams, o, args)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

func runVerify(ctx context.Context, streams IO, o *VerifyOptions, images []string) error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, &o.Registry)
	defer cancel()
	fopts, err := o.FlowOptions()
	if err != nil {
		return err
	}
	client, err := o.Registry.NewClient(logger(streams.Err))
	if err != nil {
		return err
	}
	vopts, err := o.VerifierOptions(ctx)
	if err != nil {
		return err
	}
	v, err := verifier.New(vopts...)
	if err != nil {
		return usageError{err}
	}
	results, err := flow.Verify(ctx, client, v, images, fopts...)
	if results == nil {
		return err
	}
	if o.Output.JSON() {
		if jerr := writeVerifyJSON(streams, results); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range results {
			if r.Verified() {
				fmt.Fprintln(streams.Out, r.Digest)
			}
		}
	}
	return err
}

// VerifyReport is the JSON report of verify.
type VerifyReport struct {
	Images []ImageReport `json:"images"`
}

// ImageReport is one image in a VerifyReport.
type ImageReport struct {
	Image  string `json:"image"`
	Digest string `json:"digest,omitempty"`
	// Status is verified, denied or unchecked (could not be checked).
	Status     string            `json:"status"`
	Error      string            `json:"error,omitempty"`
	Signatures []SignatureReport `json:"signatures"`
}

// SignatureReport is one signature examined.
type SignatureReport struct {
	Format          string            `json:"format"`
	Source          string            `json:"source"`
	Verified        bool              `json:"verified"`
	Reason          string            `json:"reason,omitempty"`
	Key             string            `json:"key,omitempty"`
	KeyID           string            `json:"keyID,omitempty"`
	DockerReference string            `json:"dockerReference,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
}

func status(err error) string {
	switch ExitCode(err) {
	case ExitOK:
		return "verified"
	case ExitUnchecked:
		return "unchecked"
	case ExitUsage:
		return "error"
	}
	return "denied"
}

func writeVerifyJSON(streams IO, results []flow.VerifyResult) error {
	rep := VerifyReport{Images: make([]ImageReport, len(results))}
	for i, r := range results {
		ir := ImageReport{Image: r.Image, Digest: r.Digest, Status: status(r.Err), Signatures: []SignatureReport{}}
		if r.Err != nil {
			ir.Error = r.Err.Error()
			if errors.Is(r.Err, oci.ErrNotFound) {
				ir.Error = fmt.Sprintf("image not found: %v", r.Err)
			}
		}
		if r.Result != nil {
			for _, s := range r.Result.Signatures {
				sr := SignatureReport{Format: string(s.Format), Source: s.Source, Verified: s.Err == nil, Key: s.Key, KeyID: s.KeyID, DockerReference: s.DockerReference, Annotations: s.Annotations}
				if s.Err != nil {
					sr.Reason = s.Err.Error()
				}
				ir.Signatures = append(ir.Signatures, sr)
			}
		}
		rep.Images[i] = ir
	}
	enc := json.NewEncoder(streams.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
