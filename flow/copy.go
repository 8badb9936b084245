package flow

import (
	"context"

	"github.com/tollgate-dev/tollgate/oci"
)

// Copy copies the image src names, with its signatures, attestations and
// referrers, to dst (see oci.Client.Copy). Either may be an OCI layout
// (oci:DIR), which is how an image signed locally is pushed later.
func Copy(ctx context.Context, client *oci.Client, src, dst string, opts ...Option) (*oci.CopyResult, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	sref, err := oci.ParseReference(src, client.NameOptions()...)
	if err != nil {
		return nil, usageError{err}
	}
	dref, err := oci.ParseReference(dst, client.NameOptions()...)
	if err != nil {
		return nil, usageError{err}
	}
	t, err := client.Resolve(ctx, sref)
	if err != nil {
		return nil, err
	}
	return client.Copy(ctx, t, dref, c.dryRun)
}
