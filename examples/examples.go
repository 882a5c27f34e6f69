// Package examples embeds the example configurations, so that tests (also
// inside the test VM, which has no source tree) run the very files the
// documentation shows.
package examples

import "embed"

// Pair holds pair/director-a.hcl and pair/director-b.hcl.
//
//go:embed pair/*.hcl
var Pair embed.FS

// Drill holds drill/hosts.hcl, the example hosts file of `vigil drill -hosts`.
//
//go:embed drill/*.hcl
var Drill embed.FS
