# Converted from keepalived.conf.conditional_conf by vigil import.
# Check it with `vigil validate` and review every comment that starts with "skipped".
# 6 keepalived setting(s) were not converted; each is listed where it stood.
# skipped (line 4) net_namespace: conditional line (only for config id low) left out: the config id of this conversion decides, and it is "high"
# skipped (line 8) script: conditional line (only for config id low) left out: the config id of this conversion decides, and it is "high"
# skipped (line 20) priority: conditional line (only for config id low) left out: the config id of this conversion decides, and it is "high"

# skipped (line 3) net_namespace: vigil has no equivalent of net_namespace

vrrp_script "check_VI_0" {
  command = ["/etc/keepalived/scripts/check_high_VI_0.sh"]
  rise    = 3
  fall    = 3
  # skipped (line 10) timeout: 10s is longer than the interval 1s; vigil needs timeout <= interval and uses the interval
}

vrrp_instance "VI_0" {
  # skipped (line 16) state: vigil has no initial state: every instance starts as backup and the priority elects the master
  interface       = "eth0"
  vrid            = 1
  priority        = 170
  advert_interval = "12s"
  version         = 3
  use_vmac        = true
  track_script {
    script = "check_VI_0"
  }
  track_interface {
    name = "eth3"
  }
  track_interface {
    name   = "eth2"
    weight = 20
  }
  virtual_ipaddresses = ["10.1.0.254/32"]
  garp {
    # keepalived's default second burst comes after 5s, vigil's after 1s
    master_delay = "5s"
  }
}
