// Package api holds tollgate's policy documents as they are written in YAML
// (apiVersion tollgate.dev/v1alpha1, kinds Policy and PolicySet). It is the
// target of the Kyverno and Kubewarden importers and of `tollgate policy
// convert`; package policy loads, checks and evaluates these documents. It
// holds types only: no parsing beyond JSON tags, no I/O.
package api
