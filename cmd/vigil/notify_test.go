package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-ha/vigil/internal/config"
	"github.com/vigil-ha/vigil/vrrp"
)

func TestNotifyRunsCommandsWithStateInArgsAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "notify.sh")
	body := "#!/bin/sh\necho \"$* $VIGIL_INSTANCE $VIGIL_STATE $VIGIL_PREVIOUS_STATE $VIGIL_REASON\" >> " + out + "\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	ic := config.VRRPInstance{Name: "VI_1", Priority: 150, Notify: config.Notify{
		Command: []string{script, "all"}, Master: []string{script, "master-only"}, Timeout: 5 * time.Second}}
	hook := notifyHook(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	hook(ic, vrrp.StateBackup, vrrp.StateMaster, vrrp.ReasonMasterDown)
	var lines []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(out)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) == 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	got := strings.Join(lines, "|")
	for _, want := range []string{"all VI_1 master VI_1 master backup master-down", "master-only VI_1 master backup master-down"} {
		if !strings.Contains(got, want) {
			t.Errorf("notify output %q lacks %q", got, want)
		}
	}
}
