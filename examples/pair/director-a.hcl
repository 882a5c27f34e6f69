# vigil example: director A of a two-director pair (the preferred master).
#
# director-b.hcl is the same file with a lower priority. Both directors share
# the virtual IP 10.99.0.100 with VRRP; whoever is master holds the VIP and
# installs the IPVS service below, which spreads HTTP over two real servers
# by direct routing (DR). Addresses are from a documentation-only range:
# replace them, and the interface name, with your own.
#
# Check a file with `vigil validate director-a.hcl`: it prints any error with
# the offending line, or the effective configuration with every default.

# Daemon-wide settings. Every attribute here is optional.
global {
  router_id  = "director-a" # name in logs and metrics; default: the host name
  log_level  = "info"       # debug | info | warn | error
  log_format = "text"       # text | json

  # Prometheus metrics. "" turns the endpoint off.
  metrics_listen = "127.0.0.1:9650"

  # A daemon that is swapped out or starved of CPU misses adverts, and the
  # backup then takes over for no reason. Real-time scheduling and locked
  # memory prevent that on a busy host.
  realtime {
    sched_priority = 10 # SCHED_FIFO priority; 0 keeps the normal scheduler
    lock_memory    = true
  }
}

# A VRRP virtual router. The director with the highest priority is master.
vrrp_instance "VI_1" {
  # The link the adverts and the VIP use.
  interface = "eth0"
  # Virtual router id: the same on both directors, unique among the VRRP
  # routers on this network.
  vrid = 51
  # director-b has 100, so A is master while it is healthy.
  priority = 150

  # Default timing: one advert per second (version 3 allows down to 10ms).
  # A backup takes over after about 3 missed adverts.
  advert_interval = "1s"

  # When A comes back after a failure it takes the VIP back from B.
  # preempt_delay gives it time to settle (links, routes) first.
  preempt       = true
  preempt_delay = "5s"

  # The address clients connect to. The /24 is the prefix length the VIP
  # gets on the interface; a plain address gets /32.
  virtual_ipaddresses = ["10.99.0.100/24"]

  # Where multicast is not available (some clouds, some switches), list the
  # other director(s) and the adverts go by unicast:
  # unicast_peers = ["10.99.0.3"]

  # After becoming master, announce the VIP's new MAC address to the LAN:
  # 5 gratuitous ARPs at once, 5 more after a second.
  garp {
    master_repeat = 5
    master_delay  = "1s"
  }

  # Where IPVS tables live: only on the master ("master", the default), or on
  # both directors ("always") so that a takeover needs no table change.
  ipvs_follow = "master"
}

# The load-balanced service on the VIP.
virtual_server "web" {
  address       = "10.99.0.100:80" # VIP:port; IPv6 is written "[2001:db8::1]:80"
  protocol      = "tcp"
  vrrp_instance = "VI_1" # installed where VI_1 is master
  scheduler     = "rr"   # round robin; wlc (the default) weighs open connections

  # Direct routing: the director only rewrites the MAC address and replies
  # go straight from the real servers to the clients. So the real servers
  # must accept the VIP without answering ARP for it (vigil realserver apply)
  # and listen on the VIP's port: DR cannot change ports.
  forwarding = "dr"

  # Timing shared by the checks below; each check may override any of it.
  check_defaults {
    interval = "2s" # time between checks
    timeout  = "1s" # a check slower than this failed
    rise     = 2    # successes in a row to put a server (back) in service
    fall     = 2    # failures in a row to take it out
  }

  # A failed server keeps its IPVS entry with weight 0 ("inhibit"): open
  # connections finish, new ones go elsewhere. "remove" deletes it instead.
  on_failure = "inhibit"

  # With thousands of real servers, a cheaper check is
  #   check "tcp" { half_open = true }
  # a SYN, the server's SYN-ACK, and a reset from the director: it proves a
  # listening socket (not an application that accepts) for about half the
  # CPU of a connect. IPv4, needs CAP_NET_RAW, not with via_vip.

  real_server "10.99.0.11:80" {
    weight = 1
    check "http" {
      path   = "/healthz"
      status = ["200-299"]
      # Ask at the VIP, through the real server's MAC, as client traffic
      # arrives: a server that answers at 10.99.0.11 but forgot the VIP on
      # lo fails this check. vigil run adds an IPVS fwmark service per such
      # server (marks 0x76670000...) and accept_local=1 on the interface.
      via_vip = true
    }
  }

  real_server "10.99.0.12:80" {
    weight = 1
    check "http" {
      path    = "/healthz"
      status  = ["200-299"]
      via_vip = true
    }
  }
}
