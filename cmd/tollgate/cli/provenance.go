package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/oci"
	"github.com/tollgate-dev/tollgate/provenance"
)

// ProvenanceOptions are the flags that build SLSA provenance.
type ProvenanceOptions struct {
	Enabled   bool
	Version   string
	TektonRun string
}

// AddFlags adds the flags; withSwitch adds --provenance (for attest).
func (o *ProvenanceOptions) AddFlags(fs *pflag.FlagSet, withSwitch bool) {
	if withSwitch {
		fs.BoolVar(&o.Enabled, "provenance", false, "attest SLSA provenance built from the CI this runs in (GitHub Actions, Tekton, or a local build that says so)")
	}
	fs.StringVar(&o.Version, "provenance-version", "1", "SLSA provenance version: 1, or 0.2 for verifiers that only read v0.2")
	fs.StringVar(&o.TektonRun, "tekton-run", "", "a TaskRun or PipelineRun object (kubectl get -o yaml) to build Tekton provenance from")
}

// source returns where the build ran.
func (o *ProvenanceOptions) source() (provenance.Source, error) {
	env := provenance.OSEnv()
	if o.TektonRun != "" {
		data, err := os.ReadFile(o.TektonRun)
		if err != nil {
			return nil, usageError{err}
		}
		src, err := provenance.FromTektonRun(data, env)
		if err != nil {
			return nil, usageError{err}
		}
		return src, nil
	}
	src, err := provenance.Detect(env)
	if err != nil {
		return nil, usageError{err}
	}
	return src, nil
}

// StatementFunc returns what builds the provenance statement of an image.
func (o *ProvenanceOptions) StatementFunc() (flow.StatementFunc, error) {
	src, err := o.source()
	if err != nil {
		return nil, err
	}
	switch o.Version {
	case "1", "0.2":
	default:
		return nil, usageError{fmt.Errorf("--provenance-version %q: want 1 or 0.2", o.Version)}
	}
	opts := []provenance.Option{provenance.WithSLSAVersion(o.Version), provenance.WithBuilderVersion(Version)}
	return func(t *oci.Target) ([]byte, error) {
		st, err := provenance.Statement(src, []provenance.Subject{{Name: statementName(t), Digest: map[string]string{t.Digest().Algorithm: t.Digest().Hex}}}, opts...)
		if err != nil {
			return nil, err
		}
		return provenance.Marshal(st)
	}, nil
}

// ProvenanceCommandOptions are the flags of provenance.
type ProvenanceCommandOptions struct {
	Provenance ProvenanceOptions
	Registry   RegistryOptions
}

func newProvenance(streams IO) *cobra.Command {
	o := &ProvenanceCommandOptions{}
	cmd := &cobra.Command{
		Use:   "provenance IMAGE...",
		Short: "Print the SLSA provenance statement attest --provenance would attach; sign nothing",
		Long: `Builds the SLSA provenance statement of each image from the CI this runs in
(GitHub Actions, Tekton, or a local build that says so and claims no CI
builder) and prints it as JSON. Each image is resolved to its digest, which is
the statement's subject. Nothing is signed or pushed.`,
		Args: cobraArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProvenance(cmd.Context(), streams, o, args)
		},
	}
	o.Provenance.AddFlags(cmd.Flags(), false)
	o.Registry.AddFlags(cmd.Flags())
	return cmd
}

func runProvenance(ctx context.Context, streams IO, o *ProvenanceCommandOptions, images []string) error {
	build, err := o.Provenance.StatementFunc()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, &o.Registry)
	defer cancel()
	client, err := o.Registry.NewClient(logger(streams.Err))
	if err != nil {
		return err
	}
	var errs []error
	for _, img := range images {
		ref, err := oci.ParseReference(img, client.NameOptions()...)
		if err != nil {
			errs = append(errs, usageError{err})
			continue
		}
		t, err := client.Resolve(ctx, ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", img, err))
			continue
		}
		st, err := build(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", img, err))
			continue
		}
		if _, err := streams.Out.Write(st); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}
