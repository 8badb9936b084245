package cli

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/verifier/policy"
	"github.com/tollgate-dev/tollgate/verifier/policy/api"
)

func newPolicy(streams IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check policies, and convert Kyverno and Kubewarden policies into tollgate's format",
		Args:  cobraArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "lint FILE...",
			Short: "Load policies fully (keys, certificates, expressions) and report every problem with its field path",
			Long: `Loads tollgate policies (tollgate.dev/v1alpha1 Policy and PolicySet), Kyverno
ClusterPolicy/Policy documents with verifyImages rules and Kubewarden
verify-image-signatures policies, from files and directories, exactly as
'tollgate verify --policy' does, and reports every problem found, each with
its file, document and field path. Exit code 0 when they load, 2 otherwise.`,
			Args: cobraArgs(cobra.MinimumNArgs(1)),
			RunE: func(_ *cobra.Command, args []string) error {
				set, warnings, err := loadPolicies(streams, args)
				if err != nil {
					return err
				}
				for _, p := range set.Policies() {
					fmt.Fprintf(streams.Out, "ok\t%s\t%d image patterns, %d signer sets, %d attestations\n", p.Metadata.Name, len(p.Spec.Images), len(p.Spec.Signers), len(p.Spec.Attestations))
				}
				_ = warnings
				return nil
			},
		},
		&cobra.Command{
			Use:   "convert FILE...",
			Short: "Print the tollgate equivalent of policies (Kyverno, Kubewarden, or tollgate's own)",
			Args:  cobraArgs(cobra.MinimumNArgs(1)),
			RunE: func(_ *cobra.Command, args []string) error {
				set, _, err := loadPolicies(streams, args)
				if err != nil {
					return err
				}
				var out bytes.Buffer
				if set.AllowUncovered() {
					ps := api.PolicySet{APIVersion: api.APIVersion, Kind: api.KindPolicySet, Metadata: api.Metadata{Name: "settings"}, Spec: api.SetSpec{UncoveredImages: api.Allow}}
					b, err := yaml.Marshal(ps)
					if err != nil {
						return err
					}
					out.WriteString("---\n")
					out.Write(b)
				}
				for _, p := range set.Policies() {
					b, err := yaml.Marshal(p)
					if err != nil {
						return err
					}
					out.WriteString("---\n")
					out.Write(b)
				}
				_, err = streams.Out.Write(out.Bytes())
				return err
			},
		},
	)
	return cmd
}

// loadPolicies loads policy files, printing warnings; a policy that does
// not load is a usage error.
func loadPolicies(streams IO, paths []string) (*policy.Set, []string, error) {
	set, warnings, err := policy.Load(paths...)
	for _, w := range warnings {
		fmt.Fprintf(streams.Err, "tollgate: warning: %s\n", w)
	}
	if err != nil {
		if errors.Is(err, policy.ErrInvalid) {
			return nil, warnings, usageError{err}
		}
		return nil, warnings, err
	}
	return set, warnings, nil
}
