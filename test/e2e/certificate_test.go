package e2e

import (
	"testing"

	"github.com/tollgate-dev/tollgate/test/harness"
)

// TestCertificateSigning: bring your own PKI. Signatures made with a key and
// a certificate issued by a company CA (made with openssl) verify in tollgate
// by roots and identity, and in cosign v2 and v3 the way their users verify
// such signatures; another identity, or a CA nobody trusts, is refused.
func TestCertificateSigning(t *testing.T) {
	w := newWorld(t)
	pki := harness.NewPKI(t, w.env.Dir)
	aliceKey, aliceCert := pki.Leaf(t, "alice", "alice@example.com")
	other := harness.NewPKI(t, t.TempDir())
	w.env.MustRun(w.cosign3, "trusted-root", "create", "--fulcio=url=https://ca.example.com,certificate-chain="+pki.Chain, "--out", "company_root.json")

	for _, format := range []string{"legacy", "bundle"} {
		t.Run(format, func(t *testing.T) {
			_, img := w.image("pki-" + format + "/app")
			wantCode(t, w.tg("sign", "--format", format, "--key", aliceKey, "--certificate", aliceCert, "--certificate-chain", pki.Chain, img), 0)

			wantCode(t, w.tg("verify", "--ca-roots", pki.Root, "--ca-intermediates", pki.Intermediate, "--certificate-identity", "alice@example.com", img), 0)
			wantCode(t, w.tg("verify", "--trusted-root", "company_root.json", "--certificate-identity-regexp", "alice@example\\.com", img), 0)
			wantCode(t, w.tg("verify", "--certificate", aliceCert, "--certificate-chain", pki.Chain, img), 0)
			// (A bundle carries only the signing certificate: the intermediate
			// comes from the verifier's trust material.)
			wantCode(t, w.tg("verify", "--ca-roots", pki.Root, "--ca-intermediates", pki.Intermediate, "--certificate-identity", "bob@example.com", img), 1, `does not match "bob@example.com"`)
			// A regexp is anchored: a prefix of the identity does not match.
			wantCode(t, w.tg("verify", "--ca-roots", pki.Root, "--ca-intermediates", pki.Intermediate, "--certificate-identity-regexp", "alice", img), 1, "does not match")
			wantCode(t, w.tg("verify", "--ca-roots", other.Root, "--certificate-identity", "alice@example.com", img), 1, "certificate signed by unknown authority")

			common := []string{"verify", "--certificate-identity", "alice@example.com", "--certificate-oidc-issuer-regexp", ".*", "--insecure-ignore-sct", "--insecure-ignore-tlog"}
			var v2, v3 []string
			if format == "legacy" {
				v2 = append(common, "--certificate-chain", pki.Chain, img)
				v3 = append(common, "--ca-roots", pki.Root, "--ca-intermediates", pki.Intermediate, img)
			} else {
				v2 = append(common, "--new-bundle-format", "--trusted-root", "company_root.json", img)
				v3 = append(common, "--trusted-root", "company_root.json", img)
			}
			if r := w.env.Run(w.cosign2, v2...); r.Code != 0 {
				t.Errorf("cosign v2 verify of a certificate signature failed:\n%s", r)
			}
			if r := w.env.Run(w.cosign3, v3...); r.Code != 0 {
				t.Errorf("cosign v3 verify of a certificate signature failed:\n%s", r)
			}
		})
	}
	// The certificate must certify the signing key.
	_, bobCert := pki.Leaf(t, "bob", "bob@example.com")
	_, img := w.image("pki-mismatch/app")
	wantCode(t, w.tg("sign", "--key", aliceKey, "--certificate", bobCert, img), 2, "certificate does not match the signing key")
}
