// Package cli holds tollgate's commands: one file per command, one flags
// struct per command with AddFlags and a method that turns the flags into
// library options. Results go to stdout; diagnostics go to stderr as
// "tollgate: error: ..." and "tollgate: hint: ..." lines. The commands hold no
// signing, verification or registry logic: that lives in the library
// packages (flow, oci, signer, verifier, evidence).
package cli
