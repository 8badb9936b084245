// Package kyverno reads Kyverno ClusterPolicy and Policy documents
// (kyverno.io/v1 and kyverno.io/v2beta1) and turns each verifyImages entry of
// each rule into a tollgate policy, so that the gate in CI applies the policy
// the cluster enforces at admission.
//
// What maps: imageReferences and skipImageReferences; attestor sets with
// count (several keys in one publicKeys count as separate entries, as in
// Kyverno); keys, certificates (cert, certChain) and keyless entries
// (issuer/subject exact or regexp, roots, additionalExtensions); per-entry
// annotations; attestations with their attestors and conditions; the
// deprecated top-level key, subject, issuer, roots and annotations;
// mutateDigest; verifyDigest (a tag is acceptable when mutateDigest pins it,
// as at admission); Rekor and CT log settings (a transparency log entry is
// required unless rekor.ignoreTlog is true, as in Kyverno with cosign 2).
//
// What is refused, with the field's path: KMS keys and Secret references
// (they need cloud or cluster access), signatureAlgorithm sha512, nested
// attestors, alternate signature repositories, type Notary, required: false,
// and any field Kyverno does not define.
//
// What is read but does not change a verdict, with a warning: the rule's
// match/exclude/preconditions/context (the gate sees images, not Kubernetes
// resources), validationFailureAction Audit (Kyverno only reports; the gate
// enforces), webhook settings, useCache, imageRegistryCredentials (tollgate
// uses its own registry credentials) and imageExtractors.
package kyverno
