# Real-server side of a vigil direct-routing setup.
#
#   vigil realserver apply  -config realserver.hcl
#   vigil realserver check  -config realserver.hcl
#   vigil realserver remove -config realserver.hcl   (only -state is read)
#
# The block may also sit in the real server's main vigil configuration; other
# blocks are ignored by `vigil realserver`.

realserver {
  # The virtual IPs the directors balance. IPv4 only: the ARP problem does
  # not exist for IPv6 (Linux answers NDP only for addresses on the
  # receiving interface).
  vips = ["192.0.2.10", "192.0.2.11"]

  # The interface that faces the directors.
  interface = "eth0"

  # sysctl (default), arptables, nftables, tunnel or redirect.
  method = "sysctl"

  # The services on the VIPs. `check` reports whether something listens on
  # each; method redirect needs them ("tcp/80:8080" redirects VIP port 80 to
  # local port 8080).
  ports = ["tcp/80", "tcp/443"]

  # Address label of the VIPs on lo (default "lo:vip").
  # label = "lo:vip"

  # arptables/nftables/tunnel: this host's own address on the interface,
  # written into outgoing ARP instead of a VIP (default: the interface's
  # first IPv4 address).
  # real_ip = "10.0.0.21"

  # tunnel: the ipip device that carries the VIPs (default vigil-tun0).
  # tunnel_device = "vigil-tun0"

  # redirect: "nft" (default) or "iptables".
  # redirect_backend = "nft"

  # Also write the persistent form: /etc/sysctl.d/90-vigil-realserver.conf
  # for the sysctls, /etc/nftables.d/vigil-realserver.nft for an nftables
  # ruleset (include it from /etc/nftables.conf). Paths can be set apart:
  # persist     = true
  # sysctl_file = "/etc/sysctl.d/90-vigil-realserver.conf"
  # nft_file    = "/etc/nftables.d/vigil-realserver.nft"

  # Where apply records what it changed, for remove. /run is emptied at boot,
  # as are the changes that were not persisted; with persist = true keep the
  # record somewhere that survives a reboot.
  # state_file = "/run/vigil/realserver.json"
}
