# Uses every block and most attributes; the round-trip and ordering tests
# parse it.
global {
  router_id      = "lb1"
  control_socket = "/run/vigil/ctl.sock"
  metrics_listen = ""
  log_format     = "json"
  log_level      = "debug"
  state_file     = ""
  realtime {
    sched_priority = 50
    lock_memory    = true
  }
  notify {
    command = ["/usr/local/bin/notify", "--all", "$${not_a_template}", "%%{x}", "tab\there"]
    timeout = "3s"
  }
  check_defaults {
    interval = "5s"
    fall     = 3
  }
}

vrrp_script "chk_haproxy" {
  command  = ["/usr/bin/pgrep", "-x", "haproxy"]
  interval = "2s"
  timeout  = "500ms"
  rise     = 2
  fall     = 3
  weight   = -20
}

vrrp_script "chk_disk" {
  command = ["/usr/local/bin/check-disk"]
}

vrrp_instance "VI_6" {
  interface           = "eth1"
  vrid                = 51
  virtual_ipaddresses = ["2001:db8::100/64", "2001:db8::101"]
  advert_interval     = "20ms"
  unicast_peers       = ["fe80::2%eth1"]
  source_address      = "fe80::1%eth1"
}

vrrp_instance "VI_1" {
  interface           = "eth1"
  vrid                = 51
  priority            = 200
  version             = 2
  advert_interval     = "3s"
  preempt             = false
  preempt_delay       = "30s"
  virtual_ipaddresses = ["192.0.2.100/24"]
  use_vmac            = false
  ipvs_follow         = "always"
  virtual_ipaddress {
    address = "192.0.2.101"
    label   = "eth1:web"
  }
  garp {
    master_repeat  = 3
    master_delay   = "0s"
    master_refresh = "60s"
  }
  track_interface {
    name = "eth2"
  }
  track_interface {
    name   = "bond0"
    weight = -50
  }
  track_script {
    script = "chk_haproxy"
  }
  track_script {
    script = "chk_disk"
    weight = 0
  }
  notify {
    master = ["/usr/local/bin/became", "master"]
    fault  = ["/usr/local/bin/became", "fault"]
  }
  sync_daemon {
    interface = "eth3"
  }
}

virtual_server "web" {
  address         = "192.0.2.100:443"
  vrrp_instance   = "VI_1"
  scheduler       = "sh"
  scheduler_flags = ["sh-port", "sh-fallback"]
  quorum          = 2
  sorry_server    = "192.0.2.250:443"
  on_failure      = "remove"
  persistence {
    timeout = "10m"
    netmask = 24
  }
  check_defaults {
    timeout = "2s"
  }
  real_server "192.0.2.12:443" {
    weight          = 50
    upper_threshold = 1000
    lower_threshold = 800
    check "http" {
      path          = "/status"
      host          = "www.example.com"
      status        = ["200", "301-302"]
      body_regex    = "^OK"
      body_sha256   = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
      headers       = { "X-Check" = "vigil", Accept = "text/plain" }
      tls           = true
      server_name   = "www.example.com"
      verify        = true
      weight_header = "X-Weight"
      max_weight    = 100
      via_vip       = true
    }
    check "tcp" {
      port     = 8443
      interval = "1s"
      timeout  = "1s"
      warmup   = "3s"
    }
  }
  real_server "192.0.2.11:443" {
    check "script" {
      command        = ["/usr/local/bin/check-app", "192.0.2.11"]
      env            = { MODE = "strict" }
      dynamic_weight = true
    }
  }
}

virtual_server "dns" {
  address    = "192.0.2.101:53"
  protocol   = "udp"
  forwarding = "nat"
  scheduler  = "mh"
  vrrp_instance = "VI_1"
  real_server "192.0.2.21:5353" {
    check "dns" {
      name = "example.com."
      type = "aaaa"
    }
    check "udp" {
      payload_hex = "00 01 ff"
      expect      = "pong\u0001\n\"ok\""
    }
  }
}

virtual_server "mark" {
  fwmark        = 7
  family        = "ipv6"
  forwarding    = "tun"
  vrrp_instance = "VI_6"
  persistence {}
  real_server "[2001:db8::11]:0" {
    weight = 0
  }
  real_server "192.0.2.31:0" {}
}
