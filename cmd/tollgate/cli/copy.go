package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/flow"
	"github.com/tollgate-dev/tollgate/oci"
)

// CopyOptions are the flags of copy, load and save.
type CopyOptions struct {
	Dir      string
	DryRun   bool
	Registry RegistryOptions
	Output   OutputOptions
}

// AddFlags adds the flags; withDir adds --dir for load and save.
func (o *CopyOptions) AddFlags(fs *pflag.FlagSet, withDir bool) {
	if withDir {
		fs.StringVar(&o.Dir, "dir", "", "OCI image layout directory")
	}
	fs.BoolVar(&o.DryRun, "dry-run", false, "print what would be copied, write nothing")
	o.Registry.AddFlags(fs)
	o.Output.AddFlags(fs)
}

func newCopy(streams IO) *cobra.Command {
	o := &CopyOptions{}
	cmd := &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy an image with its signatures, attestations and referrers, by digest, tag last",
		Long: `Copies the image SRC names (an index with every platform), its cosign
signatures and attestations (merged with any at DST) and its referrers to DST,
then writes DST's tag last, so a half-copied image is never reachable by tag.
Either side may be an OCI image layout (oci:DIR[:TAG]). Running it twice
changes nothing.`,
		Example: `  tollgate copy oci:./build/layout:v1 registry.example.com/app:v1
  tollgate copy registry.example.com/app@sha256:... registry.example.com/prod/app:v1`,
		Args: cobraArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCopy(cmd.Context(), streams, o, args[0], args[1])
		},
	}
	o.AddFlags(cmd.Flags(), false)
	return cmd
}

func newLoad(streams IO) *cobra.Command {
	o := &CopyOptions{}
	cmd := &cobra.Command{
		Use:   "load --dir DIR IMAGE",
		Short: "Push an image signed in an OCI layout, with its signatures, to a registry",
		Long: `Pushes the image in the OCI layout DIR, with everything signed or attested
for it there, to IMAGE, as cosign load does. The same as
'tollgate copy oci:DIR IMAGE'. A layout that holds several images needs
'tollgate copy oci:DIR:TAG IMAGE'.`,
		Args: cobraArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Dir == "" {
				return usageError{fmt.Errorf("--dir is required")}
			}
			return runCopy(cmd.Context(), streams, o, oci.LayoutPrefix+o.Dir, args[0])
		},
	}
	o.AddFlags(cmd.Flags(), true)
	return cmd
}

func newSave(streams IO) *cobra.Command {
	o := &CopyOptions{}
	cmd := &cobra.Command{
		Use:   "save --dir DIR IMAGE",
		Short: "Save an image with its signatures from a registry into an OCI layout",
		Args:  cobraArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Dir == "" {
				return usageError{fmt.Errorf("--dir is required")}
			}
			return runCopy(cmd.Context(), streams, o, args[0], oci.LayoutPrefix+o.Dir)
		},
	}
	o.AddFlags(cmd.Flags(), true)
	return cmd
}

func runCopy(ctx context.Context, streams IO, o *CopyOptions, src, dst string) error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx, &o.Registry)
	defer cancel()
	client, err := o.Registry.NewClient(logger(streams.Err))
	if err != nil {
		return err
	}
	res, err := flow.Copy(ctx, client, src, dst, flow.WithDryRun(o.DryRun))
	if err != nil {
		return err
	}
	if o.Output.JSON() {
		enc := json.NewEncoder(streams.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	verb := "copied"
	if res.DryRun {
		verb = "would copy"
	}
	fmt.Fprintf(streams.Err, "%s %s to %s: %d signatures, %d attestations, %d referrers added", verb, res.Source, res.Destination, res.Signatures, res.Attestations, res.Referrers)
	if res.Tag != "" {
		fmt.Fprintf(streams.Err, ", tagged %s", res.Tag)
	}
	fmt.Fprintln(streams.Err)
	fmt.Fprintln(streams.Out, res.Destination)
	return nil
}
