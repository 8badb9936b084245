package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/ci"
	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/verifier"
)

// VerifyOptions are the flags of verify.
type VerifyOptions struct {
	Policies         []string
	Files            []string
	Rewrite          bool
	Trust            TrustOptions
	Annotations      []string
	AttestationTypes []string
	MaxWorkers       int
	Registry         RegistryOptions
	Output           OutputOptions
}

// AddFlags adds the flags. Names follow cosign's.
func (o *VerifyOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Policies, "policy", nil, "policy file or directory (repeatable): tollgate, Kyverno ClusterPolicy/Policy or Kubewarden verify-image-signatures; replaces the trust flags")
	fs.StringSliceVarP(&o.Files, "filename", "f", nil, "Kubernetes manifest file or directory whose images to verify (repeatable; with --policy)")
	fs.BoolVar(&o.Rewrite, "rewrite", false, "with -f: when every image passes, write the manifests back with each image pinned to its verified digest")
	o.Trust.AddFlags(fs)
	fs.StringSliceVarP(&o.Annotations, "annotations", "a", nil, "key=value annotation a valid signature must carry (repeatable: all of them)")
	fs.StringSliceVar(&o.AttestationTypes, "attestation-type", nil, "also require a valid attestation of this predicate type, signed by the key: a URI or one of "+strings.Join(evidence.PredicateTypeNames(), "|")+" (repeatable: all of them)")
	fs.IntVar(&o.MaxWorkers, "max-workers", flow.DefaultMaxWorkers, "images verified at once")
	o.Registry.AddFlags(fs)
	o.Output.AddFlags(fs)
}

// FlowOptions turns the flags into flow options.
func (o *VerifyOptions) FlowOptions() ([]flow.Option, error) {
	ann, err := parseAnnotations(o.Annotations)
	if err != nil {
		return nil, err
	}
	types, err := predicateTypes(o.AttestationTypes)
	if err != nil {
		return nil, err
	}
	return []flow.Option{flow.WithAnnotations(ann), flow.WithMaxWorkers(o.MaxWorkers), flow.WithAttestations(types...)}, nil
}

// predicateTypes resolves cosign's short names to URIs.
func predicateTypes(in []string) ([]string, error) {
	var out []string
	for _, t := range in {
		uri, err := evidence.ParsePredicateType(t)
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, uri)
	}
	return out, nil
}

func newVerify(streams IO) *cobra.Command {
	o := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify --key KEY IMAGE...",
		Short: "Verify image signatures; print each verified image as repo@sha256:...",
		Long: `Verifies the signatures of each image, in both formats (cosign's
sha256-<hex>.sig tag and Sigstore bundles attached as OCI 1.1 referrers). An
image passes when at least one signature verifies with a given key, names the
image's exact digest and carries every required annotation, and, for each
--attestation-type, when an attestation of exactly that predicate type verifies
with a given key and names the digest. Attestations of other types never count.

Each verified image is printed on stdout as repo@sha256:...; use that digest,
never the tag, from then on. The exit code is 0 when every image passed, 1 when
any was denied, 3 when any could not be checked (see docs/exit-codes.md).`,
		Example: `  tollgate verify --key cosign.pub registry.example.com/app:v1
  tollgate verify --key cosign.pub --attestation-type slsaprovenance1 registry.example.com/app:v1
  tollgate verify --key cosign.pub -a team=payments --output json registry.example.com/app@sha256:...`,
		Args: cobraArgs(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(o.Policies) > 0 {
				return runVerifyPolicy(cmd.Context(), streams, o, args)
			}
			if len(o.Files) > 0 || o.Rewrite {
				return usageError{errors.New("-f and --rewrite need --policy")}
			}
			if len(args) == 0 {
				return usageError{errors.New("requires at least 1 arg(s), only received 0")}
			}
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
	vopts, err := o.Trust.VerifierOptions(ctx)
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
	rep := ci.Report{Command: "verify"}
	for _, r := range results {
		rep.Items = append(rep.Items, item(r.Image, r.Digest, r.Err, "verified", ""))
	}
	if perr := publish(streams, rep); perr != nil {
		err = errors.Join(err, perr)
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
	// Attestations has one entry per required predicate type.
	Attestations []AttestationReport `json:"attestations,omitempty"`
}

// AttestationReport is what was found for one required predicate type.
type AttestationReport struct {
	PredicateType string            `json:"predicateType"`
	Verified      bool              `json:"verified"`
	Error         string            `json:"error,omitempty"`
	Examined      []SignatureReport `json:"examined"`
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
	PredicateType   string            `json:"predicateType,omitempty"`
	// Statement is the verified in-toto statement, decoded.
	Statement json.RawMessage `json:"statement,omitempty"`
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
			ir.Signatures = signatureReports(r.Result)
		}
		for _, a := range r.Attestations {
			ar := AttestationReport{PredicateType: a.PredicateType, Verified: a.Err == nil, Examined: []SignatureReport{}}
			if a.Err != nil {
				ar.Error = a.Err.Error()
			}
			if a.Result != nil {
				ar.Examined = signatureReports(a.Result)
			}
			ir.Attestations = append(ir.Attestations, ar)
		}
		rep.Images[i] = ir
	}
	enc := json.NewEncoder(streams.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func signatureReports(res *verifier.Result) []SignatureReport {
	out := []SignatureReport{}
	for _, s := range res.Signatures {
		sr := SignatureReport{Format: string(s.Format), Source: s.Source, Verified: s.Err == nil, Key: s.Key, KeyID: s.KeyID,
			DockerReference: s.DockerReference, Annotations: s.Annotations, PredicateType: s.PredicateType}
		if s.Err != nil {
			sr.Reason = s.Err.Error()
		}
		if len(s.Statement) > 0 {
			sr.Statement = json.RawMessage(s.Statement)
		}
		out = append(out, sr)
	}
	return out
}
