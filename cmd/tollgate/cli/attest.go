package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/ci"
	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/oci"
)

// AttestOptions are the flags of attest.
type AttestOptions struct {
	Signer     SignerOptions
	Type       string
	Predicate  string
	Provenance ProvenanceOptions
	Format     string
	DryRun     bool
	MaxWorkers int
	Yes        bool
	Registry   RegistryOptions
	Output     OutputOptions
}

// AddFlags adds the flags. Names follow cosign's.
func (o *AttestOptions) AddFlags(fs *pflag.FlagSet) {
	o.Signer.AddFlags(fs)
	fs.StringVar(&o.Type, "type", "custom", "predicate type: a URI or one of "+strings.Join(evidence.PredicateTypeNames(), "|")+", as in cosign")
	fs.StringVar(&o.Predicate, "predicate", "", "file holding the predicate (- for standard input)")
	fs.StringVar(&o.Format, "format", string(evidence.DefaultFormat), "attestation format: legacy (cosign's sha256-<hex>.att tag) or bundle (Sigstore bundle v0.3 as an OCI 1.1 referrer)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "resolve and sign, print what would be pushed, push nothing")
	fs.IntVar(&o.MaxWorkers, "max-workers", flow.DefaultMaxWorkers, "images attested at once")
	fs.BoolVarP(&o.Yes, "yes", "y", false, "accepted for cosign compatibility; tollgate never asks for confirmation")
	o.Provenance.AddFlags(fs, true)
	o.Registry.AddFlags(fs)
	o.Output.AddFlags(fs)
}

func newAttest(streams IO) *cobra.Command {
	o := &AttestOptions{}
	cmd := &cobra.Command{
		Use:   "attest --key KEY (--type T --predicate FILE | --provenance) IMAGE...",
		Short: "Attach a signed in-toto attestation (a predicate file, or SLSA provenance) to images",
		Long: `Builds an in-toto Statement v1 whose subject is the image's repository and
exact digest, signs it as a DSSE envelope and attaches it: as a layer of cosign's
sha256-<hex>.att image (legacy, the default) or as a Sigstore bundle referrer.

With --type and --predicate the predicate comes from a file, read as cosign
reads it for that type. With --provenance, tollgate builds SLSA provenance from
the CI it runs in (GitHub Actions, Tekton, or a local build that says so).`,
		Example: `  tollgate attest --key cosign.key --type slsaprovenance1 --predicate provenance.json registry.example.com/app@sha256:...
  tollgate attest --key cosign.key --type https://example.com/code-review/v1 --predicate review.json registry.example.com/app:v1
  tollgate attest --key cosign.key --provenance registry.example.com/app:v1`,
		Args: cobraArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttest(cmd.Context(), streams, o, args, cmd.Flags().Changed("type"))
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

func runAttest(ctx context.Context, streams IO, o *AttestOptions, images []string, typeSet bool) error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.Signer.Key == "" {
		return usageError{errors.New("--key is required")}
	}
	f, err := evidence.ParseFormat(o.Format)
	if err != nil {
		return usageError{err}
	}
	// An empty --type or --predicate counts as not given, so a Tekton Task or
	// a GitHub Action can map an unset input to the flag one-to-one.
	if o.Type == "" {
		o.Type, typeSet = "custom", false
	}
	var build flow.StatementFunc
	switch {
	case o.Provenance.Enabled && (o.Predicate != "" || typeSet):
		return usageError{errors.New("--provenance builds its own predicate: do not give --type or --predicate with it")}
	case o.Provenance.Enabled:
		if build, err = o.Provenance.StatementFunc(); err != nil {
			return err
		}
	case o.Predicate == "":
		return usageError{errors.New("--predicate is required (or --provenance)")}
	default:
		if _, err := evidence.ParsePredicateType(o.Type); err != nil {
			return usageError{err}
		}
		predicate, err := readInput(streams, o.Predicate)
		if err != nil {
			return usageError{fmt.Errorf("reading predicate: %w", err)}
		}
		now := time.Now()
		typ := o.Type
		build = func(t *oci.Target) ([]byte, error) {
			return evidence.AttestationStatement(statementName(t), t.Digest(), typ, predicate, now)
		}
	}
	ctx, cancel := withTimeout(ctx, &o.Registry)
	defer cancel()
	client, err := o.Registry.NewClient(logger(streams.Err))
	if err != nil {
		return err
	}
	load, err := o.Signer.Loader(ctx, streams)
	if err != nil {
		return err
	}
	results, err := flow.AttestLoading(ctx, client, load, images, build,
		flow.WithFormat(f), flow.WithDryRun(o.DryRun), flow.WithMaxWorkers(o.MaxWorkers))
	if results == nil {
		return err
	}
	rep := ci.Report{Command: "attest"}
	for _, r := range results {
		for _, w := range r.Warnings {
			fmt.Fprintf(streams.Err, "tollgate: warning: %s\n", w)
		}
		it := item(r.Image, r.Digest, r.Err, "attested", "failed")
		if r.Err == nil {
			it.Detail = r.PredicateType
		}
		rep.Items = append(rep.Items, it)
	}
	if perr := publish(streams, rep); perr != nil {
		return errors.Join(err, perr)
	}
	if o.Output.JSON() {
		type item struct {
			flow.AttestResult
			Statement json.RawMessage `json:"statement,omitempty"`
			Error     string          `json:"error,omitempty"`
		}
		items := make([]item, len(results))
		for i, r := range results {
			items[i] = item{AttestResult: r, Statement: r.Statement}
			if r.Err != nil {
				items[i].Error = r.Err.Error()
			}
		}
		enc := json.NewEncoder(streams.Out)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(map[string]any{"dryRun": o.DryRun, "images": items}); jerr != nil {
			return jerr
		}
		return err
	}
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		if r.Written.DryRun {
			fmt.Fprintf(streams.Out, "%s\twould push %s attestation %s of type %s (manifest %s)\n", r.Digest, r.Written.Format, r.Written.Reference, r.PredicateType, r.Written.Manifest)
			continue
		}
		fmt.Fprintln(streams.Out, r.Digest)
	}
	return err
}

// statementName is the subject name of a statement about t: the repository,
// or the layout reference for an image in an OCI layout.
func statementName(t *oci.Target) string {
	if r := t.Ref.Remote(); r != nil {
		return r.Context().Name()
	}
	return t.Ref.Repository()
}

// readInput reads a file, or standard input for "-".
func readInput(streams IO, path string) ([]byte, error) {
	if path == "-" {
		return readAllLimited(streams.In)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllLimited(f)
}
