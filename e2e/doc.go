// Package e2e holds the end-to-end tests: they build the leadscore binary,
// run `leadscore serve` as a real process, send events through the
// official Segment SDKs (Go, and Node from e2e/node), kill and restart the
// server, and check through the REST API what was stored and scored. They
// run with `go test ./...`; the PostgreSQL variants run when
// LEADSCORE_TEST_POSTGRES_URL is set, the Node test when e2e/node has its
// node_modules (bash .ci/run installs them).
package e2e
