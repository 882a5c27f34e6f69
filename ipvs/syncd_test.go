package ipvs

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
	"golang.org/x/sys/unix"
)

// The golden messages below are written out by hand from the kernel's uapi
// layout (include/uapi/linux/netlink.h, genetlink.h, ip_vs.h): struct
// nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; u32 pid}, struct
// genlmsghdr {u8 cmd; u8 version; u16 reserved}, struct nlattr {u16 len;
// u16 type} padded to 4 bytes. Integers are host order, so the bytes are
// those of a little-endian machine.

func needLittleEndian(t *testing.T) {
	t.Helper()
	testenv.Need(t, native.Uint16([]byte{1, 0}) == 1, "golden netlink bytes are written for a little-endian host")
}

func TestNewDaemonRequestBytes(t *testing.T) {
	needLittleEndian(t)
	d := SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 7, MaxLen: 1400,
		Group: addr("224.0.0.81"), Port: 8848, TTL: 2}
	want := []byte{
		0x54, 0, 0, 0, // nlmsg_len 84
		0x2a, 0, // nlmsg_type: the IPVS family id
		0x05, 0, // NLM_F_REQUEST | NLM_F_ACK
		1, 0, 0, 0, // seq
		0, 0, 0, 0, // pid: the kernel fills it in
		9, 1, 0, 0, // IPVS_CMD_NEW_DAEMON, IPVS_GENL_VERSION
		0x40, 0, 3, 0, // IPVS_CMD_ATTR_DAEMON, 64 bytes
		8, 0, 1, 0, 1, 0, 0, 0, // IPVS_DAEMON_ATTR_STATE = IP_VS_STATE_MASTER
		9, 0, 2, 0, 'e', 't', 'h', '0', 0, 0, 0, 0, // IPVS_DAEMON_ATTR_MCAST_IFN "eth0\0" + pad
		8, 0, 3, 0, 7, 0, 0, 0, // IPVS_DAEMON_ATTR_SYNC_ID (u32)
		6, 0, 4, 0, 0x78, 0x05, 0, 0, // IPVS_DAEMON_ATTR_SYNC_MAXLEN 1400 (u16) + pad
		8, 0, 5, 0, 224, 0, 0, 81, // IPVS_DAEMON_ATTR_MCAST_GROUP, network order
		6, 0, 7, 0, 0x90, 0x22, 0, 0, // IPVS_DAEMON_ATTR_MCAST_PORT 8848 (u16, host order) + pad
		5, 0, 8, 0, 2, 0, 0, 0, // IPVS_DAEMON_ATTR_MCAST_TTL (u8) + pad
	}
	if got := newDaemonRequest(0x2a, 1, d); !bytes.Equal(got, want) {
		t.Fatalf("NEW_DAEMON\n got % x\nwant % x", got, want)
	}
}

func TestNewDaemonRequestBytesIPv6AndDefaults(t *testing.T) {
	needLittleEndian(t)
	d := SyncDaemon{State: SyncBackup, Interface: "vgsync0", SyncID: 255, Group: addr("ff02::51")}
	want := []byte{
		0x48, 0, 0, 0, 0x2a, 0, 0x05, 0, 2, 0, 0, 0, 0, 0, 0, 0,
		9, 1, 0, 0,
		0x34, 0, 3, 0, // nest of 52 bytes
		8, 0, 1, 0, 2, 0, 0, 0, // IP_VS_STATE_BACKUP
		12, 0, 2, 0, 'v', 'g', 's', 'y', 'n', 'c', '0', 0, // exactly aligned, no pad
		8, 0, 3, 0, 255, 0, 0, 0,
		0x14, 0, 6, 0, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x51, // MCAST_GROUP6
	}
	if got := newDaemonRequest(0x2a, 2, d); !bytes.Equal(got, want) {
		t.Fatalf("NEW_DAEMON\n got % x\nwant % x", got, want)
	}
}

func TestDelAndGetDaemonRequestBytes(t *testing.T) {
	needLittleEndian(t)
	del := []byte{
		0x20, 0, 0, 0, 0x2a, 0, 0x05, 0, 3, 0, 0, 0, 0, 0, 0, 0,
		10, 1, 0, 0, // IPVS_CMD_DEL_DAEMON
		12, 0, 3, 0, 8, 0, 1, 0, 2, 0, 0, 0, // the state is all the kernel reads
	}
	if got := delDaemonRequest(0x2a, 3, SyncBackup); !bytes.Equal(got, del) {
		t.Fatalf("DEL_DAEMON\n got % x\nwant % x", got, del)
	}
	get := []byte{
		0x14, 0, 0, 0, 0x2a, 0, 0x01, 0x03, 4, 0, 0, 0, 0, 0, 0, 0, // NLM_F_REQUEST | NLM_F_DUMP
		11, 1, 0, 0, // IPVS_CMD_GET_DAEMON
	}
	if got := getDaemonRequest(0x2a, 4); !bytes.Equal(got, get) {
		t.Fatalf("GET_DAEMON\n got % x\nwant % x", got, get)
	}
}

// kernelDaemonReply is one message body of the GET_DAEMON dump as
// ip_vs_genl_fill_daemon writes it: every attribute, group last, and here
// with NLA_F_NESTED set on the nest (newer kernels may set it).
var kernelDaemonReply = []byte{
	9, 1, 0, 0, // reply command IPVS_CMD_NEW_DAEMON
	0x40, 0, 3, 0x80, // IPVS_CMD_ATTR_DAEMON | NLA_F_NESTED
	8, 0, 1, 0, 1, 0, 0, 0,
	9, 0, 2, 0, 'e', 't', 'h', '0', 0, 0, 0, 0,
	8, 0, 3, 0, 7, 0, 0, 0,
	6, 0, 4, 0, 0xc0, 0x05, 0, 0, // maxlen 1472, chosen by the kernel
	6, 0, 7, 0, 0x90, 0x22, 0, 0,
	5, 0, 8, 0, 1, 0, 0, 0,
	8, 0, 5, 0, 224, 0, 0, 81,
}

func TestDecodeKernelDaemonReply(t *testing.T) {
	needLittleEndian(t)
	got, err := decodeDaemon(kernelDaemonReply)
	if err != nil {
		t.Fatal(err)
	}
	want := SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 7, MaxLen: 1472,
		Group: addr("224.0.0.81"), Port: 8848, TTL: 1}
	if got != want {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}

	// The same message inside a dump datagram, followed by NLMSG_DONE.
	datagram := append(native.AppendUint32(nil, uint32(nlmsgHdrLen+len(kernelDaemonReply))),
		0x2a, 0, 0x02, 0, 5, 0, 0, 0, 0x10, 0, 0, 0) // NLM_F_MULTI, seq 5, pid 16
	datagram = append(datagram, kernelDaemonReply...)
	datagram = append(datagram, 0x14, 0, 0, 0, 3, 0, 0x02, 0, 5, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0)
	msgs, err := parseNetlinkMessages(datagram)
	if err != nil || len(msgs) != 2 || msgs[1].typ != unix.NLMSG_DONE || msgs[0].seq != 5 || msgs[0].pid != 16 {
		t.Fatalf("messages = %+v, %v", msgs, err)
	}
	if again, err := decodeDaemon(msgs[0].data); err != nil || again != want {
		t.Fatalf("from datagram: %+v, %v", again, err)
	}
}

func TestDaemonEncodingRoundTrips(t *testing.T) {
	for _, d := range []SyncDaemon{
		{State: SyncMaster, Interface: "eth0", SyncID: 0},
		{State: SyncBackup, Interface: "bond0.100", SyncID: 200, MaxLen: 9000, Group: addr("239.1.2.3"), Port: 1, TTL: 255},
		{State: SyncMaster, Interface: "e", SyncID: 1, Group: addr("ff15::1234")},
	} {
		msg := newDaemonRequest(1, 1, d)
		got, err := decodeDaemon(msg[nlmsgHdrLen:])
		if err != nil || got != d {
			t.Errorf("round trip of %+v = %+v, %v", d, got, err)
		}
	}
}

func TestDecodeDaemonRejectsBrokenReplies(t *testing.T) {
	cases := map[string][]byte{
		"no genl header":   {9, 1},
		"no daemon nest":   {9, 1, 0, 0, 8, 0, 1, 0, 1, 0, 0, 0},
		"missing sync id":  {9, 1, 0, 0, 20, 0, 3, 0, 8, 0, 1, 0, 1, 0, 0, 0, 8, 0, 2, 0, 'e', 0, 0, 0},
		"short state":      {9, 1, 0, 0, 8, 0, 3, 0, 6, 0, 1, 0, 1, 0, 0, 0},
		"overlong attr":    {9, 1, 0, 0, 12, 0, 3, 0, 99, 0, 1, 0, 1, 0, 0, 0},
		"short group":      {9, 1, 0, 0, 12, 0, 3, 0, 6, 0, 5, 0, 224, 0, 0, 0},
		"short group6":     {9, 1, 0, 0, 12, 0, 3, 0, 8, 0, 6, 0, 0xff, 2, 0, 0},
		"truncated header": {9, 1, 0, 0, 8, 0, 3, 0, 3, 0},
	}
	for name, body := range cases {
		if d, err := decodeDaemon(body); err == nil {
			t.Errorf("%s: decoded %+v", name, d)
		}
	}
}

func TestSyncDaemonValidate(t *testing.T) {
	ok := SyncDaemon{State: SyncBackup, Interface: "eth0", MaxLen: 1024}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*SyncDaemon){
		"no state":         func(d *SyncDaemon) { d.State = 0 },
		"no interface":     func(d *SyncDaemon) { d.Interface = "" },
		"long interface":   func(d *SyncDaemon) { d.Interface = "abcdefghijklmnop" },
		"slash":            func(d *SyncDaemon) { d.Interface = "a/b" },
		"unicast group":    func(d *SyncDaemon) { d.Group = addr("10.0.0.1") },
		"backup maxlen":    func(d *SyncDaemon) { d.MaxLen = 1023 },
		"maxlen too large": func(d *SyncDaemon) { d.MaxLen = 65535 - 27 },
	}
	for name, mutate := range cases {
		d := ok
		mutate(&d)
		if err := d.Validate(); err == nil || !strings.HasPrefix(err.Error(), "sync daemon: ") {
			t.Errorf("%s: Validate() = %v", name, err)
		}
	}
}

func TestEnsureSyncDaemon(t *testing.T) {
	f := NewFake()
	want := SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 9}

	changed, err := EnsureSyncDaemon(f, want)
	if err != nil || !changed || f.Writes()[WriteStartDaemon] != 1 {
		t.Fatalf("first ensure: %v, %v, %v", changed, err, f.Writes())
	}
	running, _ := f.SyncDaemons()
	if len(running) != 1 || running[0].Port != DefaultSyncPort || running[0].Group != DefaultSyncGroup || running[0].TTL != 1 {
		t.Fatalf("running = %+v, want the kernel's defaults filled in", running)
	}

	f.ResetWrites()
	explicit := want
	explicit.Port, explicit.Group = DefaultSyncPort, DefaultSyncGroup
	for _, w := range []SyncDaemon{want, explicit} {
		if changed, err := EnsureSyncDaemon(f, w); err != nil || changed || f.Writes().Total() != 0 {
			t.Fatalf("ensure of a running daemon: %v, %v, %v", changed, err, f.Writes())
		}
	}

	want.SyncID = 10
	if changed, err := EnsureSyncDaemon(f, want); err != nil || !changed {
		t.Fatalf("ensure with a new sync id: %v, %v", changed, err)
	}
	if w := f.Writes(); w[WriteStopDaemon] != 1 || w[WriteStartDaemon] != 1 {
		t.Fatalf("restart writes = %v", w)
	}
	if running, _ := f.SyncDaemons(); len(running) != 1 || running[0].SyncID != 10 {
		t.Fatalf("running = %+v", running)
	}

	bad := want
	bad.Interface = ""
	if _, err := EnsureSyncDaemon(f, bad); err == nil {
		t.Fatal("invalid daemon accepted")
	}
}

func TestSwitchSyncDaemon(t *testing.T) {
	f := NewFake()
	master := SyncDaemon{State: SyncMaster, Interface: "eth0", SyncID: 1}
	backup := master
	backup.State = SyncBackup

	if changed, err := SwitchSyncDaemon(f, master); err != nil || !changed {
		t.Fatalf("to master: %v, %v", changed, err)
	}
	if changed, err := SwitchSyncDaemon(f, backup); err != nil || !changed {
		t.Fatalf("to backup: %v, %v", changed, err)
	}
	running, _ := f.SyncDaemons()
	if len(running) != 1 || running[0].State != SyncBackup {
		t.Fatalf("running = %+v, want only the backup daemon", running)
	}
	f.ResetWrites()
	if changed, err := SwitchSyncDaemon(f, backup); err != nil || changed || f.Writes().Total() != 0 {
		t.Fatalf("switch to the current role: %v, %v, %v", changed, err, f.Writes())
	}
	if stopped, err := StopSyncDaemonIfRunning(f, SyncMaster); err != nil || stopped || f.Writes().Total() != 0 {
		t.Fatalf("stop of a stopped daemon: %v, %v, %v", stopped, err, f.Writes())
	}
	if stopped, err := StopSyncDaemonIfRunning(f, SyncBackup); err != nil || !stopped {
		t.Fatalf("stop of the backup daemon: %v, %v", stopped, err)
	}
}

func TestFakeSyncDaemonErrorsAreTheKernels(t *testing.T) {
	f := NewFake()
	d := SyncDaemon{State: SyncMaster, Interface: "eth0"}
	if err := f.StartSyncDaemon(d); err != nil {
		t.Fatal(err)
	}
	if err := f.StartSyncDaemon(d); !errors.Is(err, unix.EEXIST) {
		t.Errorf("second start = %v, want EEXIST", err)
	}
	if err := f.StopSyncDaemon(SyncBackup); !errors.Is(err, unix.ESRCH) {
		t.Errorf("stop of a stopped daemon = %v, want ESRCH", err)
	}
	if err := f.StartSyncDaemon(SyncDaemon{State: SyncBackup, Interface: "eth0", Group: addr("ff02::51")}); err != nil {
		t.Fatal(err)
	}
	running, _ := f.SyncDaemons()
	if len(running) != 2 || running[0].State != SyncMaster || running[1].MaxLen != 1500-48 {
		t.Fatalf("running = %+v", running)
	}
}
