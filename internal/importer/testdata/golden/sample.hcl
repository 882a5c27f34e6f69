# Converted from keepalived.conf.sample by vigil import.
# Check it with `vigil validate` and review every comment that starts with "skipped".
# 5 keepalived setting(s) were not converted; each is listed where it stood.

global {
  # skipped (line 4) notification_email: vigil sends no e-mail; use notify commands instead
  # skipped (line 7) notification_email_from: vigil sends no e-mail; use notify commands instead
  # skipped (line 8) smtp_server: vigil sends no e-mail; use notify commands instead
  # skipped (line 9) smtp_connect_timeout: vigil sends no e-mail; use notify commands instead
  router_id = "LVS_DEVEL"
}

vrrp_instance "VI_1" {
  interface           = "eth0"
  vrid                = 50
  preempt             = false
  priority            = 100
  virtual_ipaddresses = ["192.168.200.11", "192.168.200.12", "192.168.200.13"]
  # keepalived's default is VRRP version 2, vigil's is 3
  version = 2
  garp {
    # keepalived's default second burst comes after 5s, vigil's after 1s
    master_delay = "5s"
  }
}

virtual_server "10.10.10.2_1358" {
  address    = "10.10.10.2:1358"
  scheduler  = "rr"
  forwarding = "nat"
  persistence {
    timeout = "50s"
  }
  protocol     = "tcp"
  sorry_server = "192.168.200.200:1358"
  check_defaults {
    # keepalived: delay_loop (default 60s), connect_timeout (5s), retry+1 failures, one success, warmup up to delay_loop
    interval = "6s"
    timeout  = "5s"
    rise     = 1
    warmup   = "6s"
  }
  real_server "192.168.200.2:1358" {
    check "http" {
      timeout     = "3s"
      fall        = 4
      retry_delay = "3s"
      path        = "/testurl3/test.jsp"
      # skipped (line 40) digest: vigil compares a SHA-256 of the body (body_sha256), keepalived an MD5; compute the SHA-256 of the page and add it
    }
  }
  # keepalived removes a failed real server unless inhibit_on_failure is set
  on_failure = "remove"
}
