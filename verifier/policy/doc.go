// Package policy is the gate's policy: which images it covers, who must have
// signed them, which attestations they must carry and what those must say.
//
// A policy is written in tollgate's own format (apiVersion
// tollgate.dev/v1alpha1, kind Policy, and optionally one PolicySet), or read
// as it is from a Kyverno ClusterPolicy/Policy with verifyImages rules or a
// Kubewarden verify-image-signatures policy (see the kyverno and kubewarden
// subpackages), so that the gate in CI applies the policy the cluster
// enforces at admission. Every document is parsed strictly (an unknown field
// is an error naming its path) and checked fully when loaded (keys parse,
// regular expressions compile, CEL type-checks), so a mistake never waits
// for the first image to surface.
//
// Evaluate is a pure function of the image's digest, the evidence fetched
// for it (signatures and attestations, untrusted), the policy and the clock:
// it never reads a registry, a file or the environment, and is tested with
// tables of evidence and no registry.
package policy
