# Converted from keepalived.conf.fwmark by vigil import.
# Check it with `vigil validate` and review every comment that starts with "skipped".
# 1 keepalived setting(s) were not converted; each is listed where it stood.

global {
  router_id = "io"
}

virtual_server "fwmark_1" {
  fwmark     = 1
  scheduler  = "rr"
  forwarding = "nat"
  persistence {
    timeout = "900s"
  }
  # skipped (line 12) protocol: a fwmark service matches on the mark alone (keepalived ignores the protocol too)
  check_defaults {
    # keepalived: delay_loop (default 60s), connect_timeout (5s), retry+1 failures, one success, warmup up to delay_loop
    interval = "6s"
    timeout  = "5s"
    rise     = 1
    warmup   = "6s"
  }
  real_server "192.168.201.100:0" {
    check "tcp" {
      port    = 80
      timeout = "3s"
    }
  }
  real_server "192.168.201.101:0" {
    check "tcp" {
      port    = 80
      timeout = "3s"
    }
  }
  # keepalived removes a failed real server unless inhibit_on_failure is set
  on_failure = "remove"
}
