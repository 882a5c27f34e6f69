# Converted from keepalived.conf.vrrp.scripts by vigil import.
# Check it with `vigil validate` and review every comment that starts with "skipped".
# 6 keepalived setting(s) were not converted; each is listed where it stood.

# skipped (line 6) vrrp_sync_group: vigil has no sync groups: every instance fails over on its own (members VI_2, VI_3 are converted as independent instances; the group's notify and track settings are lost)

vrrp_instance "VI_1" {
  # skipped (line 17) state: vigil has no initial state: every instance starts as backup and the priority elects the master
  interface = "eth0"
  # skipped (line 19) smtp_alert: vigil sends no e-mail; use notify commands instead
  vrid     = 51
  priority = 100
  # skipped (line 23) authentication: vigil does not implement VRRPv2 authentication (RFC 3768 removed it); all directors must run without it
  virtual_ipaddresses = ["192.168.200.16", "192.168.200.17", "192.168.200.18"]
  notify {
    backup = ["/usr/local/bin/vrrp.sh", "BACKUP", "VI_1"]
    master = ["/usr/local/bin/vrrp.sh", "MASTER", "VI_1"]
    fault  = ["/usr/local/bin/vrrp.sh", "FAULT", "VI_1"]
  }
  # keepalived's default is VRRP version 2, vigil's is 3
  version = 2
  garp {
    # keepalived's default second burst comes after 5s, vigil's after 1s
    master_delay = "5s"
  }
}

vrrp_instance "VI_2" {
  interface = "eth0"
  # skipped (line 40) state: vigil has no initial state: every instance starts as backup and the priority elects the master
  vrid                = 52
  priority            = 150
  virtual_ipaddresses = ["192.168.200.100/27"]
  # keepalived's default is VRRP version 2, vigil's is 3
  version = 2
  garp {
    # keepalived's default second burst comes after 5s, vigil's after 1s
    master_delay = "5s"
  }
}

vrrp_instance "VI_3" {
  interface = "eth0"
  # skipped (line 50) state: vigil has no initial state: every instance starts as backup and the priority elects the master
  vrid                = 53
  priority            = 150
  virtual_ipaddresses = ["192.168.200.101/27"]
  # keepalived's default is VRRP version 2, vigil's is 3
  version = 2
  garp {
    # keepalived's default second burst comes after 5s, vigil's after 1s
    master_delay = "5s"
  }
}
