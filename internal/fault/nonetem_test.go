//go:build !vmtest

package fault

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/testenv"
)

// On a kernel without netem (this machine's; the VM's has it, hence the
// build tag) the netem faults fail with a message naming the missing
// module and what works instead, and change nothing.
func TestNetemFaultsSayNetemIsMissing(t *testing.T) {
	a, _ := newPair(t, "nn", 20)
	have, err := NetemAvailable()
	if err != nil {
		t.Fatalf("netem probe: %v", err)
	}
	testenv.Need(t, !have, "this kernel has netem; the vmtest tests cover it")
	inj := testInjector(t)
	before := tcState(t, a)
	for _, s := range []Spec{
		{Target: a.target(), Kind: KindDelay, Delay: 50 * time.Millisecond, Jitter: 5 * time.Millisecond},
		{Target: a.target(), Kind: KindDuplicate, Percent: 10},
	} {
		_, err := inj.Apply(context.Background(), s)
		if !errors.Is(err, ErrNetemMissing) {
			t.Fatalf("%s: %v, want ErrNetemMissing", s, err)
		}
		msg := err.Error()
		for _, want := range []string{string(s.Kind) + " needs the sch_netem kernel module", "loss, blackhole, drop-vrrp, partition and flap work without it"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if after := tcState(t, a); after != before {
			t.Fatalf("the failed %s changed tc:\n%s", s.Kind, after)
		}
		if list, err := inj.Show(Target{}); err != nil || len(list) != 0 {
			t.Fatalf("a failed fault is listed: %+v %v", list, err)
		}
	}
}
