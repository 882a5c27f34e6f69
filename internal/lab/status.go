package lab

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteStatus prints the machines of the lab, what runs on each and which
// director holds the VIP.
func (l *Lab) WriteStatus(w io.Writer) error {
	ipvs := fmt.Sprintf("yes (virtual server %s:%d, round robin, direct routing)", l.VIP, HTTPPort)
	if !l.IPVS {
		ipvs = "no: VRRP only, the VIP answers ping but not HTTP"
	}
	fmt.Fprintf(w, "lab %s, up since %s, state in %s\n", l.Prefix, l.Created.Format(time.TimeOnly), l.StateDir)
	fmt.Fprintf(w, "VIP %s, adverts every %s, IPVS: %s\n\n", l.VIP, l.Interval, ipvs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MACHINE\tADDRESS\tNAMESPACE\tMAC\tRUNNING\tVIP")
	for i := range l.Hosts {
		h := &l.Hosts[i]
		running, vip := "-", ""
		switch h.Role {
		case RoleDirector:
			if pid := l.DirectorPID(h.Name); pid != 0 {
				running = fmt.Sprintf("%s (pid %d), priority %d", l.DirectorImpl(h.Name), pid, h.Priority)
			} else {
				running = fmt.Sprintf("no director (priority %d)", h.Priority)
			}
			has, err := l.HasVIP(h.Name)
			switch {
			case err != nil:
				vip = "? " + err.Error()
			case has:
				vip = "HOLDS " + l.VIP.String()
			}
		case RoleRealServer:
			if pid := l.PID(h.Name, httpdTag(h.Name)); pid != 0 {
				running = "httpd (pid " + strconv.Itoa(pid) + ")"
			} else {
				running = "httpd NOT running"
			}
			vip = "on lo, no ARP"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Addr, h.NS, h.MAC, running, vip)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nrun a command on a machine: ip netns exec %s-client COMMAND\n", l.Prefix)
	fmt.Fprintf(w, "logs, configurations: %s\n", l.StateDir)
	return nil
}

// LogTail returns the last n lines of a log in the state directory.
func (l *Lab) LogTail(tag string, n int) string {
	b, err := os.ReadFile(l.Path(tag + ".log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
