// Package strict decodes policy documents strictly: YAML streams split into
// JSON documents (aliases refused), and decoding that fails on any field the
// target type lacks, naming the field's path. The policy loader and the
// Kyverno and Kubewarden importers share it.
package strict
