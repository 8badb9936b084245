package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// Version, Commit are set at build time with -ldflags -X.
var (
	Version = "devel"
	Commit  = "unknown"
)

// IO is where a command reads and writes.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// New returns the tollgate root command.
func New(streams IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "tollgate",
		Short: "Sign, attest and verify container images in CI, cosign-compatible",
		Long: `tollgate signs container images, attaches attestations and verifies them
against a policy, so that an unsigned artifact is never promoted. Everything it
writes to a registry, cosign verifies; everything cosign writes, it verifies.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Without this, cobra reports an unknown command as a plain error.
		Args: cobraArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newGenerateKeyPair(streams),
		newSign(streams),
		newVerify(streams),
		newAttest(streams),
		newProvenance(streams),
		newVerifyAttestation(streams),
		newPolicy(streams),
		newPromote(streams),
		newCopy(streams),
		newLoad(streams),
		newSave(streams),
		newVersion(streams),
	)
	return root
}

// Execute runs the command line and returns the exit code.
func Execute(ctx context.Context, streams IO, args []string) int {
	root := New(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		printError(streams.Err, err)
		if msg := err.Error(); isUsage(err) && (strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "unknown shorthand") || strings.HasPrefix(msg, "unknown command")) {
			fmt.Fprintln(streams.Err, "tollgate: hint: see 'tollgate --help'")
		}
	}
	return ExitCode(err)
}

// printError prints each line of err as a tollgate: error: line.
func printError(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line != "" {
			fmt.Fprintf(w, "tollgate: error: %s\n", line)
		}
	}
}

// logger returns a logger that prints warnings as tollgate: warning: lines.
func logger(w io.Writer) *slog.Logger {
	return slog.New(&lineHandler{w: w})
}

type lineHandler struct {
	w     io.Writer
	attrs []slog.Attr
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	level := "warning"
	if r.Level >= slog.LevelError {
		level = "error"
	}
	fmt.Fprintf(&b, "tollgate: %s: %s", level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	b.WriteByte('\n')
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &lineHandler{w: h.w, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }

func withTimeout(ctx context.Context, o *RegistryOptions) (context.Context, context.CancelFunc) {
	if o.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, o.Timeout)
}
