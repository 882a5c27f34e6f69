// Package integration holds the tests that run real vigil processes (and
// keepalived) against each other in network namespaces built by package
// topo. They need root and fail, rather than skip, under CI=true when they
// cannot run.
package integration
