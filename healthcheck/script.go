package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ScriptChecker runs a program (without a shell) and is healthy when it
// exits 0. The program gets the target in its environment:
//
//	VIGIL_VIRTUAL_SERVER, VIGIL_REAL_SERVER  the caller's keys
//	VIGIL_RS_ADDR, VIGIL_RS_PORT             the real server's address and port
//	VIGIL_PROBE_ADDR, VIGIL_PROBE_PORT       where network probes go (VIP in DR)
//	VIGIL_MARK                               the probe socket mark, if any
//
// With DynamicWeight (keepalived's misc_dynamic) exit 0 keeps the configured
// weight, 1 is a failure, and 2-255 are healthy with weight exit-2.
//
// On timeout the whole process group is killed, so helpers the script
// started do not linger.
type ScriptChecker struct {
	// Path is the program to execute.
	Path string
	// Args are its arguments (not including the program name).
	Args []string
	// Env is added to the checker's own environment ("KEY=value").
	Env []string
	// DynamicWeight takes the weight from the exit status, see above.
	DynamicWeight bool
}

// String describes every setting that affects the result.
func (c *ScriptChecker) String() string {
	return fmt.Sprintf("script path=%q args=%q env=%q dynamic=%t", c.Path, c.Args, c.Env, c.DynamicWeight)
}

// scriptWaitDelay bounds how long Check waits for the output pipes of a
// killed script; there are none, but WaitDelay also makes exec give up on
// a process that ignores the kill.
const scriptWaitDelay = time.Second

// Check runs the program once; ctx's deadline is the timeout.
func (c *ScriptChecker) Check(ctx context.Context, t Target) Result {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env = append(append(os.Environ(), c.Env...), targetEnv(t)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Negative pid: the whole process group started for this check.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = scriptWaitDelay
	err := cmd.Run()
	if ctx.Err() != nil {
		return failed("script: " + describeError(ctx.Err()))
	}
	if err == nil {
		return healthy("script: exit status 0")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return failed("script: " + truncate(err.Error(), maxReasonLen))
	}
	code := exit.ExitCode()
	if code < 0 {
		return failed("script: " + exit.String())
	}
	reason := "script: exit status " + strconv.Itoa(code)
	if c.DynamicWeight && code >= 2 {
		return Result{Healthy: true, Reason: reason + ", weight " + strconv.Itoa(code-2), Weight: code - 2, WeightSet: true}
	}
	return failed(reason)
}

func targetEnv(t Target) []string {
	env := []string{
		"VIGIL_VIRTUAL_SERVER=" + t.VirtualServer,
		"VIGIL_REAL_SERVER=" + t.RealServer,
		"VIGIL_RS_ADDR=" + t.Addr.Addr().String(),
		"VIGIL_RS_PORT=" + strconv.Itoa(int(t.Addr.Port())),
		"VIGIL_PROBE_ADDR=" + t.ProbeAddr().Addr().String(),
		"VIGIL_PROBE_PORT=" + strconv.Itoa(int(t.ProbeAddr().Port())),
	}
	if t.Dialer.Mark != 0 {
		env = append(env, "VIGIL_MARK="+strconv.FormatUint(uint64(t.Dialer.Mark), 10))
	}
	return sanitizeEnv(env)
}

// sanitizeEnv drops NUL bytes that would make exec fail; keys come from the
// caller's configuration.
func sanitizeEnv(env []string) []string {
	for i, kv := range env {
		env[i] = strings.ReplaceAll(kv, "\x00", "")
	}
	return env
}

// Validate reports a missing program path.
func (c *ScriptChecker) Validate() error {
	if c.Path == "" {
		return errors.New("script check: empty path")
	}
	return nil
}
