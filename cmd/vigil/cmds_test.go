package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestEveryCommandTeaches checks that each subcommand answers -help with a
// usage text and exit 0 or the usage code, never a crash or silence.
func TestEveryCommandTeaches(t *testing.T) {
	for name := range commands {
		if name == "version" {
			continue
		}
		var out, errb bytes.Buffer
		code := dispatch([]string{name, "-help"}, &out, &errb)
		text := out.String() + errb.String()
		if code != exitOK {
			t.Errorf("%s -help exited %d, want 0", name, code)
		}
		if !strings.Contains(strings.ToLower(text), "usage") {
			t.Errorf("%s -help printed no usage:\n%s", name, text)
		}
	}
}

func TestIPVSListsOrFailsClearly(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch([]string{"ipvs"}, &out, &errb)
	if _, err := readFileIfExists("/proc/net/ip_vs"); err == nil {
		// A kernel with IPVS (the test VM): the ipvsadm-style header.
		if code != exitOK || !strings.Contains(out.String(), "IP Virtual Server version") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
		return
	}
	if code != exitFail || !strings.Contains(errb.String(), "IPVS is not available") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestImportedSampleValidates(t *testing.T) {
	out := t.TempDir() + "/vigil.hcl"
	var stdout, errb bytes.Buffer
	code := dispatch([]string{"import", "-o", out, "../../internal/importer/testdata/keepalived/keepalived.conf.sample"}, &stdout, &errb)
	if code != exitOK {
		t.Fatalf("import exit %d: %s", code, errb.String())
	}
	if code := dispatch([]string{"validate", "-q", out}, &stdout, &errb); code != exitOK {
		t.Fatalf("imported file does not validate: %s", errb.String())
	}
}
