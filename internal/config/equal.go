package config

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Equal reports whether two instances are configured identically, including
// the vrrp_script blocks they track. The daemon restarts an instance on
// SIGHUP only when this is false.
func (a VRRPInstance) Equal(b VRRPInstance) bool {
	// The types hold only comparable data (strings, numbers, netip values,
	// slices and maps of those), and Parse normalises empty slices to nil,
	// so deep equality is equality of configuration.
	return reflect.DeepEqual(a, b)
}

// Fingerprint is a short hex digest of the instance's effective
// configuration: equal instances have equal fingerprints.
func (a VRRPInstance) Fingerprint() string {
	f := hclwrite.NewEmptyFile()
	writeInstance(f.Body(), &a)
	for _, t := range a.TrackScripts {
		writeScript(f.Body(), &t.Script)
	}
	return digest(f.Bytes())
}

// Equal reports whether two virtual servers are configured identically.
func (a VirtualServer) Equal(b VirtualServer) bool {
	return reflect.DeepEqual(a, b)
}

// Fingerprint is a short hex digest of the service's effective configuration.
func (a VirtualServer) Fingerprint() string {
	f := hclwrite.NewEmptyFile()
	writeVirtualServer(f.Body(), &a)
	return digest(f.Bytes())
}

// digest is the first 16 bytes of SHA-256, in hex.
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
