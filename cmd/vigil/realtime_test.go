package main

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigil-ha/vigil/internal/testenv"
)

func TestSetRealtimeAppliesFIFOToEveryThread(t *testing.T) {
	testenv.NeedRoot(t)
	// Run in a child process so the test binary itself keeps its policy.
	if os.Getenv("VIGIL_RT_CHILD") == "1" {
		if err := setRealtime(10, false); err != nil {
			t.Fatal(err)
		}
		tasks, _ := os.ReadDir("/proc/self/task")
		for _, task := range tasks {
			tid, _ := strconv.Atoi(task.Name())
			attr, err := unix.SchedGetAttr(tid, 0)
			if err != nil {
				t.Fatal(err)
			}
			if attr.Policy != unix.SCHED_FIFO || attr.Priority != 10 {
				t.Fatalf("thread %d: policy %d priority %d", tid, attr.Policy, attr.Priority)
			}
		}
		return
	}
	child := testChild(t, "TestSetRealtimeAppliesFIFOToEveryThread", "VIGIL_RT_CHILD=1")
	if out, err := child.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
