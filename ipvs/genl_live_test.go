package ipvs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os/exec"
	"slices"
	"testing"

	"github.com/vigil-ha/vigil/internal/testenv"
	"golang.org/x/sys/unix"
)

// These tests run the generic netlink client against the running kernel,
// with or without IPVS: the controller family nlctrl is always there.

func TestGenlClientAgainstThisKernel(t *testing.T) {
	c, err := dialGenl("")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	id, ok, err := c.familyID("nlctrl")
	if err != nil || !ok || id != genlIDCtrl {
		t.Fatalf("familyID(nlctrl) = %#x, %v, %v", id, ok, err)
	}
	if _, ok, err := c.familyID(ipvsGenlName); err != nil || ok != procHasIPVS() {
		t.Fatalf("familyID(IPVS) = %v, %v; /proc/net/ip_vs exists: %v", ok, err, procHasIPVS())
	}

	// A dump: every family, in several messages, ended by NLMSG_DONE.
	bodies, err := c.execute(true, func(seq uint32) []byte {
		return genlMessage(genlIDCtrl, requestFlags(true), seq, ctrlCmdGetFamily, 1, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range bodies {
		_, attrs, err := genlPayload(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range attrs {
			if a.typ == ctrlAttrFamilyName {
				names = append(names, attrString(a))
			}
		}
	}
	if !slices.Contains(names, "nlctrl") {
		t.Fatalf("family dump %v lacks nlctrl", names)
	}

	// A request to a family id nobody has is refused with ENOENT.
	_, err = c.execute(false, func(seq uint32) []byte {
		return genlMessage(0x7ff0, requestFlags(false), seq, 1, 1, nil)
	})
	if !errors.Is(err, unix.ENOENT) {
		t.Fatalf("unknown family: %v, want ENOENT", err)
	}
}

func TestGenlClientInNamespace(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "vgipvs-" + hex.EncodeToString(suffix)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del: %v: %s", err, out)
		}
	})
	// The socket is opened on a thread that is inside the namespace.
	var want unix.Stat_t
	if err := unix.Stat("/run/netns/"+name, &want); err != nil {
		t.Fatal(err)
	}
	ino, err := inNamespace("/run/netns/"+name, func() (int, error) {
		var st unix.Stat_t
		err := unix.Stat("/proc/thread-self/ns/net", &st)
		return int(st.Ino), err
	})
	if err != nil || uint64(ino) != want.Ino {
		t.Fatalf("thread namespace inode %d, %v; want %d", ino, err, want.Ino)
	}

	c, err := dialGenl("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if id, ok, err := c.familyID("nlctrl"); err != nil || !ok || id != genlIDCtrl {
		t.Fatalf("familyID(nlctrl) in %s = %#x, %v, %v", name, id, ok, err)
	}
	if _, err := dialGenl("/run/netns/does-not-exist-vg"); err == nil {
		t.Fatal("dialGenl into a missing namespace succeeded")
	}
}
