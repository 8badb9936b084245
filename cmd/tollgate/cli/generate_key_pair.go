package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/signer"
)

// GenerateKeyPairOptions are the flags of generate-key-pair.
type GenerateKeyPairOptions struct {
	OutputKeyPrefix string
	Force           bool
}

// AddFlags adds the flags.
func (o *GenerateKeyPairOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.OutputKeyPrefix, "output-key-prefix", "cosign", "name of the key files: PREFIX.key and PREFIX.pub")
	fs.BoolVarP(&o.Force, "force", "f", false, "overwrite existing key files")
}

func newGenerateKeyPair(streams IO) *cobra.Command {
	o := &GenerateKeyPairOptions{}
	cmd := &cobra.Command{
		Use:   "generate-key-pair",
		Short: "Generate a key pair in cosign's format: cosign.key (encrypted) and cosign.pub",
		Long: `Generates an ECDSA P-256 key pair. The private key is encrypted with a
password, read from $COSIGN_PASSWORD when set, otherwise asked on the terminal
(twice), otherwise read from standard input. cosign reads the files as they are.`,
		Args: cobraArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			priv, pub := o.OutputKeyPrefix+".key", o.OutputKeyPrefix+".pub"
			if !o.Force {
				for _, f := range []string{priv, pub} {
					if _, err := os.Stat(f); err == nil {
						return usageError{fmt.Errorf("%s already exists (use --force to overwrite it)", f)}
					} else if !errors.Is(err, fs.ErrNotExist) {
						return err
					}
				}
			}
			pw, err := passFunc(streams.In, streams.Err)(true)
			if err != nil {
				return usageError{fmt.Errorf("reading password: %w", err)}
			}
			kp, err := signer.GenerateKeyPair(pw)
			if err != nil {
				return err
			}
			if err := os.WriteFile(priv, kp.Private, 0o600); err != nil {
				return err
			}
			if err := os.WriteFile(pub, kp.Public, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(streams.Err, "Private key written to %s\nPublic key written to %s\n", priv, pub)
			return nil
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
