// Package signer holds the Signer interface and the backends behind it.
//
// A Signer signs messages with a private key it may never reveal: a key file
// in cosign's encrypted format or in plain PEM (PKCS#8, SEC1, PKCS#1), a key in
// an environment variable (env://VAR), and, through the same interface, the
// hardware, KMS and keyless backends that later work adds. Load picks the
// backend from a key reference, as cosign does, and fails at construction
// rather than at first use.
//
// The package also turns a Signer into the two signature encodings tollgate
// writes: a raw signature over a simple-signing payload, and a Sigstore
// bundle v0.3 holding a DSSE envelope (built with sigstore-go).
//
// It never talks to a registry (see package oci) and never prints: key
// material and passwords never appear in its errors.
package signer
