// Package deps pins the chosen dependencies in go.mod while the packages that use
// them are being written. It is removed once every dependency has a real user.
package deps

import (
	_ "github.com/cilium/ebpf"
	_ "github.com/hashicorp/hcl/v2"
	_ "github.com/hashicorp/hcl/v2/gohcl"
	_ "github.com/mdlayher/arp"
	_ "github.com/mdlayher/ndp"
	_ "github.com/mdlayher/packet"
	_ "github.com/moby/ipvs"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/vishvananda/netlink"
	_ "golang.org/x/net/ipv4"
	_ "golang.org/x/net/ipv6"
)
