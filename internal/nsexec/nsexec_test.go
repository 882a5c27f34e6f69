package nsexec

import (
	"os/exec"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/vigil-ha/vigil/internal/testenv"
)

func TestRunEntersAndLeaves(t *testing.T) {
	testenv.NeedRoot(t)
	testenv.NeedCommand(t, "ip")
	const name = "vgx-nsexec"
	_ = exec.Command("ip", "netns", "del", name).Run()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	want, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	before, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	var inside bool
	if err := Run(name, func() error {
		cur, err := netns.Get()
		if err != nil {
			return err
		}
		defer cur.Close()
		inside = cur.Equal(want)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !inside {
		t.Fatal("fn did not run inside the namespace")
	}
	after, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if !after.Equal(before) {
		t.Fatal("the thread did not come back to its namespace")
	}
	if err := Run("vgx-no-such-ns", func() error { return nil }); err == nil {
		t.Fatal("a missing namespace was accepted")
	}
}
