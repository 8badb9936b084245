// Package kubewarden reads Kubewarden ClusterAdmissionPolicy and
// AdmissionPolicy documents (policies.kubewarden.io/v1) of the
// verify-image-signatures policy and turns each entry of
// settings.signatures into a tollgate policy.
//
// Kubewarden (through sigstore-rs) requires every constraint of an entry to
// be satisfied: every key of pubKeys, every certificate, every keyless
// identity must have signed. Each entry therefore becomes one signer set whose
// threshold is all of its entries. certificateChain verifies the
// certificates; requireRekorBundle requires a transparency log entry, which
// tollgate does not verify yet (the policy then denies, saying so);
// annotations are required of every signature; modifyImagesWithDigest maps to
// mutateDigest.
//
// keyless, keylessPrefix and githubActions entries map to keyless
// identities, which need Fulcio's roots: tollgate reads them from a
// trusted_root.json only once keyless verification lands, so such policies
// fail to load today with an error saying so.
//
// The old snake_case settings (github_actions, keyless_prefix, url_prefix)
// are errors with a hint; every field Kubewarden does not define is an
// error. The admission plumbing (rules, mutating, mode, namespaceSelector,
// ...) is read and reported as a warning: it selects resources, not images.
package kubewarden
