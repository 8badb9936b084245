package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tollgate-dev/tollgate/oci"
)

// RegistryOptions are the flags every command that talks to a registry has.
type RegistryOptions struct {
	Username      string
	Password      string
	AllowInsecure bool
	AllowHTTP     bool
	CACert        string
	Retries       int
	Timeout       time.Duration
	MaxSignatures int
	MaxPayload    int64
	MaxManifest   int64
}

// AddFlags adds the registry flags. Names follow cosign's.
func (o *RegistryOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Username, "registry-username", os.Getenv("TOLLGATE_REGISTRY_USERNAME"),
		"registry user name (default $TOLLGATE_REGISTRY_USERNAME; without it, docker's config.json and credential helpers are used)")
	fs.StringVar(&o.Password, "registry-password", "",
		"registry password (default $TOLLGATE_REGISTRY_PASSWORD; prefer the variable, flags show in process lists)")
	fs.BoolVar(&o.AllowInsecure, "allow-insecure-registry", false,
		"allow plain HTTP and unverified TLS to any registry (localhost and loopback registries use plain HTTP without it)")
	fs.BoolVar(&o.AllowHTTP, "allow-http-registry", false,
		"allow plain HTTP to any registry")
	fs.StringVar(&o.CACert, "registry-cacert", "", "PEM file of CA certificates to verify registry TLS certificates with, in addition to the system's")
	fs.IntVar(&o.Retries, "registry-retries", 3, "how often a registry request failing with 429, 5xx or a network error is retried (with backoff, honouring Retry-After)")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "time limit for the whole command")
	fs.IntVar(&o.MaxSignatures, "max-signatures", oci.DefaultLimits.MaxSignatures, "most signatures read for one image; more is an error")
	fs.Int64Var(&o.MaxPayload, "max-payload-size", oci.DefaultLimits.MaxPayloadBytes, "largest signature payload or bundle read, in bytes; larger is an error")
	fs.Int64Var(&o.MaxManifest, "max-manifest-size", oci.DefaultLimits.MaxManifestBytes, "largest manifest or index read, in bytes; larger is an error")
}

// ClientOptions turns the flags into oci client options.
func (o *RegistryOptions) ClientOptions(logger *slog.Logger) ([]oci.Option, error) {
	if o.MaxSignatures < 1 || o.MaxPayload < 1 || o.MaxManifest < 1 {
		return nil, usageError{fmt.Errorf("--max-signatures, --max-payload-size and --max-manifest-size must be positive")}
	}
	opts := []oci.Option{
		oci.WithLogger(logger),
		oci.WithUserAgent("tollgate/" + Version),
		oci.WithRetry(o.Retries, 200*time.Millisecond, 10*time.Second),
		oci.WithLimits(oci.Limits{MaxSignatures: o.MaxSignatures, MaxPayloadBytes: o.MaxPayload, MaxManifestBytes: o.MaxManifest}),
		oci.WithInsecure(o.AllowInsecure),
		oci.WithAllowHTTP(o.AllowHTTP),
	}
	if o.Retries < 0 {
		return nil, usageError{fmt.Errorf("--registry-retries must not be negative")}
	}
	password := o.Password
	if password == "" {
		password = os.Getenv("TOLLGATE_REGISTRY_PASSWORD")
	}
	switch {
	case o.Username != "":
		opts = append(opts, oci.WithBasicAuth(o.Username, password))
	case password != "":
		return nil, usageError{fmt.Errorf("a registry password was given without --registry-username")}
	}
	if o.CACert != "" {
		opts = append(opts, oci.WithCACertFile(o.CACert))
	}
	return opts, nil
}

// NewClient returns the registry client the flags describe.
func (o *RegistryOptions) NewClient(logger *slog.Logger) (*oci.Client, error) {
	opts, err := o.ClientOptions(logger)
	if err != nil {
		return nil, err
	}
	c, err := oci.NewClient(opts...)
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// OutputOptions chooses how results are printed.
type OutputOptions struct {
	Format string
}

// AddFlags adds --output.
func (o *OutputOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Format, "output", "o", "text", "output format: text or json")
}

// Validate checks the output format.
func (o *OutputOptions) Validate() error {
	switch o.Format {
	case "text", "json":
		return nil
	}
	return usageError{fmt.Errorf("--output must be text or json, not %q", o.Format)}
}

// JSON reports whether JSON output was asked for.
func (o *OutputOptions) JSON() bool { return o.Format == "json" }

// parseAnnotations parses -a key=value flags.
func parseAnnotations(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("annotation %q is not key=value", kv)}
		}
		out[k] = v
	}
	return out, nil
}

// cobraArgs wraps a cobra argument validator so its errors are usage errors.
func cobraArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// maxInputSize bounds files tollgate reads whole (predicates, run objects).
const maxInputSize = 64 << 20

// readAllLimited reads r to the end, refusing more than maxInputSize bytes.
func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInputSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInputSize {
		return nil, fmt.Errorf("input larger than %d bytes", maxInputSize)
	}
	return b, nil
}
