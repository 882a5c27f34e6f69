package director

import (
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
)

// TestBurstsFollowKeepalived pins the meaning of the garp block:
// master_repeat messages at once, the same again after master_delay.
func TestBurstsFollowKeepalived(t *testing.T) {
	got := bursts(config.GARP{MasterRepeat: 5, MasterDelay: time.Second})
	if len(got) != 2 || got[0].Count != 5 || got[1].Count != 5 || got[0].Delay != burstSpacing {
		t.Fatalf("repeat 5, delay 1s: %+v", got)
	}
	if got := bursts(config.GARP{MasterRepeat: 3}); len(got) != 1 || got[0].Count != 3 {
		t.Fatalf("delay 0 must mean one burst: %+v", got)
	}
	if got := bursts(config.GARP{MasterRepeat: 0, MasterDelay: time.Second}); len(got) != 0 {
		t.Fatalf("repeat 0 must send nothing: %+v", got)
	}
}
