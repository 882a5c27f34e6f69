# hosts.hcl: a director pair that exists already, for
#
#   vigil drill -hosts examples/drill/hosts.hcl -scenario master-sigkill -n 5
#
# The drill kills, stops, cuts and partitions the master for real: run it on
# a pair that may fail over (a staging pair, or production in a window).
# Between runs and at the end (also after Ctrl-C) it clears its faults, sets
# the links it took down up again, kills both daemons, removes a VIP a killed
# daemon left and starts both daemons again with their start commands.

# The VIP the pair moves (IPv4: the client pings it).
vip = "192.0.2.100"

# The pair's VRRP advert interval, as in its configuration. The drill does
# not change it; it derives its waits from it (how long the backup must stay
# backup before a run starts, how long a failover may take).
advert_interval = "1s"

# The first director block is the master at start: the higher priority.
director "lb1" {
  # How the drill runs a command on the director: this argv followed by one
  # shell command line. ssh does exactly that; it must pass standard input
  # through (no -n): the drill's watchers end when their input closes.
  # A connection per command is slow to set up: an ssh ControlMaster
  # (ControlPath, ControlPersist in ~/.ssh/config) makes the drill quicker.
  # For a network namespace of this machine write netns = "NAME" instead.
  command = ["ssh", "-o", "BatchMode=yes", "root@192.0.2.1"]

  # The VRRP interface, which carries the VIP. The drill watches it with
  # `ip monitor` and takes it down for master-link-down, master-crash, flap.
  # Reach the director over another interface, or the drill loses it for the
  # fault's length (a link it took down comes back by itself after a while).
  interface = "eth0"

  # Start and stop the daemon; stop is the graceful stop (graceful-stop,
  # preempt-back) and may wait until the daemon has exited.
  start = "systemctl start vigil"
  stop  = "systemctl stop vigil"

  # How the drill kills the daemon (master-sigkill, master-crash and between
  # runs). Default: pkill -KILL -x vigil (with -impl keepalived: keepalived).
  # A unit with Restart= would bring it back at once.
  kill = "pkill -KILL -x vigil"

  # Optional: exits 0 while the daemon runs. The drill then waits for a
  # stopped daemon to be gone.
  status = "systemctl is-active --quiet vigil"

  # Optional: a command that follows the daemon's log; the VRRP state
  # changes it shows go on the timeline. One command: the drill ends it.
  log = "journalctl -f -n 0 -o cat -u vigil"

  # vigil on the director, for `vigil fault` (advert-loss, partition, flap).
  vigil = "/usr/local/bin/vigil"
}

director "lb2" {
  command   = ["ssh", "-o", "BatchMode=yes", "root@192.0.2.2"]
  interface = "eth0"
  start     = "systemctl start vigil"
  stop      = "systemctl stop vigil"
  status    = "systemctl is-active --quiet vigil"
  log       = "journalctl -f -n 0 -o cat -u vigil"
  vigil     = "/usr/local/bin/vigil"
}

# The client sends the traffic: a ping to the VIP every 10ms and, with url,
# an HTTP GET every 5ms. It runs `vigil drill agent`, an internal subcommand
# of the vigil binary, as root (raw ICMP and ARP sockets).
client {
  command = ["ssh", "-o", "BatchMode=yes", "root@192.0.2.50"]
  url     = "http://192.0.2.100/"
  # Optional: where the client sees the gratuitous ARP for the VIP (default:
  # the interface of its route to the VIP).
  interface = "eth0"
  vigil     = "/usr/local/bin/vigil"
}
