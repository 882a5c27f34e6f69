// Package vmsmoke holds the smoke tests that prove the test VM (see
// integration/vm) gives the project what this build host lacks: IPVS in the
// kernel, netem delays, and a real IPVS direct-routing data path between
// network namespaces. The tests carry the build tag vmtest, so a plain
// `go test ./...` does not compile them; `make vm-test` builds them and runs
// them inside the VM.
package vmsmoke
