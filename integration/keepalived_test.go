package integration

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/integration/topo"
)

// keepalivedConf renders a VRRP-only keepalived configuration equivalent
// to lab.instance; globals are extra global_defs lines.
func (l *lab) keepalivedConf(version, priority int, advertInt string, globals ...string) string {
	return fmt.Sprintf(`global_defs {
  router_id ka
  vrrp_version %d
%s
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority %d
  advert_int %s
  virtual_ipaddress {
    %s/24
  }
}
`, version, strings.Join(globals, "\n"), priority, advertInt, l.vip)
}

func (l *lab) startKeepalived(h *topo.Host, conf string) *daemon {
	l.t.Helper()
	p := l.writeConf(h.Name+".keepalived.conf", conf)
	pid := filepath.Join(l.dir, h.Name+".pid")
	return l.startProc(h, p, []string{"keepalived", "--dont-fork", "--log-console", "--log-detail", "--vrrp",
		"--use-file", p, "--pid", pid, "--vrrp_pid", pid + ".vrrp"})
}

// TestKeepalivedInterop runs vigil and Debian's keepalived as one pair,
// each in both roles, over VRRPv2 and VRRPv3: the backup must accept the
// master's adverts (it stays backup), and take over when the master dies.
func TestKeepalivedInterop(t *testing.T) {
	cases := []struct {
		version           int
		vigilInt, kaInt   string
		vigilMaster       bool
		prefix            string
		octet             int
		masterDownTimeout time.Duration
	}{
		{3, "100ms", "0.1", true, "vgk1", 221, 3 * time.Second},
		{3, "100ms", "0.1", false, "vgk2", 222, 3 * time.Second},
		{2, "1s", "1", true, "vgk3", 223, 8 * time.Second},
		{2, "1s", "1", false, "vgk4", 224, 8 * time.Second},
	}
	for _, c := range cases {
		role := "keepalived-master"
		if c.vigilMaster {
			role = "vigil-master"
		}
		t.Run(fmt.Sprintf("v%d/%s", c.version, role), func(t *testing.T) {
			needCommand(t, "keepalived")
			l := newLab(t, c.prefix, c.octet)
			vigilPrio, kaPrio := 100, 150
			if c.vigilMaster {
				vigilPrio, kaPrio = 150, 100
			}
			vigilConf := l.instance(vigilPrio, c.vigilInt, fmt.Sprintf("version = %d", c.version))
			var master, backup *daemon
			var masterHost, backupHost *topo.Host
			if c.vigilMaster {
				master = l.startVigil(l.d1, vigilConf)
				masterHost, backupHost = l.d1, l.d2
			} else {
				master = l.startKeepalived(l.d1, l.keepalivedConf(c.version, kaPrio, c.kaInt))
				masterHost, backupHost = l.d1, l.d2
			}
			l.waitFor("VIP on the master", c.masterDownTimeout+3*time.Second, func() bool { return l.hasVIP(masterHost) })
			if c.vigilMaster {
				backup = l.startKeepalived(l.d2, l.keepalivedConf(c.version, kaPrio, c.kaInt))
			} else {
				backup = l.startVigil(l.d2, vigilConf)
			}
			// Longer than the backup's Master_Down_Interval: if it did not
			// understand the master's adverts it would take over.
			l.hold("the backup accepting the master's adverts", c.masterDownTimeout, func() bool {
				return l.hasVIP(masterHost) && !l.hasVIP(backupHost)
			})
			if err := l.client.Run("ping", "-c1", "-W1", l.vip.String()); err != nil {
				t.Fatalf("VIP unreachable: %v", err)
			}
			master.signal(syscall.SIGKILL)
			took := l.waitFor("the backup to take over", c.masterDownTimeout+2*time.Second, func() bool { return l.hasVIP(backupHost) })
			t.Logf("v%d %s: takeover after SIGKILL in %s", c.version, role, took)
			_ = backup
		})
	}
}
