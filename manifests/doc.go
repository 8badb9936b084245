// Package manifests finds the container images Kubernetes manifests run, and
// rewrites the manifests with images pinned to digests.
//
// It reads files and directories of YAML (multi-document) and JSON
// manifests, including List objects, and finds every image of Pods,
// PodTemplates, Deployments, StatefulSets, DaemonSets, ReplicaSets,
// ReplicationControllers, Jobs and CronJobs (containers, initContainers,
// ephemeralContainers), with the file, document, object, container, field
// path, line and column of each. Rewrite replaces image values in place:
// every other byte (comments, key order, quoting, separators) is kept. A
// value it cannot rewrite safely (a block scalar, an alias) is an error
// naming the file and line, never a guess.
//
// The package is pure: it never talks to a registry and verifies nothing.
package manifests
