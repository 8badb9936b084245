package signer

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"io"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// DSSEEnvelope signs payload as a DSSE envelope of type payloadType and
// returns the envelope JSON, as cosign stores attestations in its
// sha256-<hex>.att images.
func DSSEEnvelope(ctx context.Context, s Signer, payloadType string, payload []byte) ([]byte, error) {
	env, err := dsse.WrapSigner(sigstoreSigner{s}, payloadType).SignMessage(bytes.NewReader(payload), options.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing DSSE envelope: %w", err)
	}
	return env, nil
}

// sigstoreSigner presents a Signer as sigstore's signature.Signer.
type sigstoreSigner struct{ s Signer }

var _ signature.Signer = sigstoreSigner{}

func (a sigstoreSigner) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return a.s.Public(), nil
}

func (a sigstoreSigner) SignMessage(msg io.Reader, opts ...signature.SignOption) ([]byte, error) {
	ctx := context.Background()
	for _, o := range opts {
		o.ApplyContext(&ctx)
	}
	b, err := io.ReadAll(msg)
	if err != nil {
		return nil, err
	}
	return a.s.Sign(ctx, b)
}
