package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/ci"
	"github.com/tollgate-dev/tollgate/evidence"
	"github.com/tollgate-dev/tollgate/flow"
)

// SignOptions are the flags of sign.
type SignOptions struct {
	Signer                SignerOptions
	Format                string
	Annotations           []string
	DryRun                bool
	MaxWorkers            int
	SignContainerIdentity string
	Yes                   bool
	Registry              RegistryOptions
	Output                OutputOptions
}

// AddFlags adds the flags. Names follow cosign's.
func (o *SignOptions) AddFlags(fs *pflag.FlagSet) {
	o.Signer.AddFlags(fs)
	fs.StringVar(&o.Format, "format", string(evidence.DefaultFormat), "signature format: legacy (cosign's sha256-<hex>.sig tag) or bundle (Sigstore bundle v0.3 as an OCI 1.1 referrer)")
	fs.StringSliceVarP(&o.Annotations, "annotations", "a", nil, "key=value annotation signed into the payload (repeatable)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "resolve and sign, print what would be pushed, push nothing")
	fs.IntVar(&o.MaxWorkers, "max-workers", flow.DefaultMaxWorkers, "images signed at once")
	fs.StringVar(&o.SignContainerIdentity, "sign-container-identity", "", "docker-reference to sign instead of the image's repository (legacy format)")
	fs.BoolVarP(&o.Yes, "yes", "y", false, "accepted for cosign compatibility; tollgate never asks for confirmation")
	o.Registry.AddFlags(fs)
	o.Output.AddFlags(fs)
}

// FlowOptions turns the flags into flow options.
func (o *SignOptions) FlowOptions() ([]flow.Option, error) {
	f, err := evidence.ParseFormat(o.Format)
	if err != nil {
		return nil, usageError{err}
	}
	ann, err := parseAnnotations(o.Annotations)
	if err != nil {
		return nil, err
	}
	return []flow.Option{
		flow.WithFormat(f),
		flow.WithAnnotations(ann),
		flow.WithDryRun(o.DryRun),
		flow.WithMaxWorkers(o.MaxWorkers),
		flow.WithSignContainerIdentity(o.SignContainerIdentity),
	}, nil
}

func newSign(streams IO) *cobra.Command {
	o := &SignOptions{}
	cmd := &cobra.Command{
		Use:   "sign --key KEY IMAGE...",
		Short: "Sign images: resolve each tag to a digest once, sign the digest, push the signature",
		Example: `  tollgate sign --key cosign.key registry.example.com/app@sha256:...
  tollgate sign --key env://SIGNING_KEY --format bundle registry.example.com/app:v1
  tollgate sign --key cosign.key --dry-run oci:./build/layout:v1`,
		Args: cobraArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSign(cmd.Context(), streams, o, args)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}

func runSign(ctx context.Context, streams IO, o *SignOptions, images []string) error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	opts, err := o.FlowOptions()
	if err != nil {
		return err
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
	results, err := flow.SignLoading(ctx, client, load, images, opts...)
	if results == nil {
		return err
	}
	rep := ci.Report{Command: "sign"}
	for _, r := range results {
		for _, w := range r.Warnings {
			fmt.Fprintf(streams.Err, "tollgate: warning: %s\n", w)
		}
		it := item(r.Image, r.Digest, r.Err, "signed", "failed")
		if r.Written != nil {
			it.Detail = string(r.Written.Format) + " " + r.Written.Reference
			if r.Written.DryRun {
				it.Result = "dry run"
			}
		}
		rep.Items = append(rep.Items, it)
	}
	if perr := publish(streams, rep); perr != nil {
		return errors.Join(err, perr)
	}
	if o.Output.JSON() {
		type item struct {
			flow.SignResult
			Error string `json:"error,omitempty"`
		}
		items := make([]item, len(results))
		for i, r := range results {
			items[i] = item{SignResult: r}
			if r.Err != nil {
				items[i].Error = r.Err.Error()
			}
		}
		enc := json.NewEncoder(streams.Out)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(map[string]any{"dryRun": o.DryRun, "images": items}); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range results {
			if r.Err != nil {
				continue
			}
			if r.Written.DryRun {
				fmt.Fprintf(streams.Out, "%s\twould push %s signature %s (manifest %s, layer %s)\n", r.Digest, r.Written.Format, r.Written.Reference, r.Written.Manifest, r.Written.Layer)
				continue
			}
			fmt.Fprintln(streams.Out, r.Digest)
		}
	}
	return err
}
