package lab

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPHandlerAnswersWithItsName(t *testing.T) {
	srv := httptest.NewServer(HTTPHandler("rs1"))
	defer srv.Close()
	name, err := Get(context.Background(), srv.Client(), srv.URL+"/")
	if err != nil || name != "rs1" {
		t.Fatalf("GET / = %q, %v; want rs1", name, err)
	}
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != healthBody {
		t.Fatalf("/healthz: %d %q", resp.StatusCode, b)
	}
}

func TestGetReportsAnErrorStatus(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if _, err := Get(context.Background(), srv.Client(), srv.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("Get of a 404: %v", err)
	}
}

func TestMainUsage(t *testing.T) {
	var out, errOut strings.Builder
	if code := Main(context.Background(), []string{"-help"}, &out, &errOut); code != exitOK {
		t.Fatalf("-help exited %d", code)
	}
	for _, cmd := range []string{"up", "start", "get", "stop", "status", "down", "10.77.0.100"} {
		if !strings.Contains(out.String(), cmd) {
			t.Errorf("usage does not mention %s", cmd)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "Usage: vigil lab"},
		{[]string{"fly"}, `unknown command "fly"`},
		{[]string{"up", "extra"}, "unexpected arguments"},
		{[]string{"up", "-prefix", "TooLongPrefix"}, "lab prefix"},
		{[]string{"stop", "-signal", "HUP", "d1"}, `signal "HUP"`},
		{[]string{"httpd"}, "usage: vigil lab httpd"},
	} {
		out.Reset()
		errOut.Reset()
		code := Main(context.Background(), c.args, &out, &errOut)
		if code == exitOK || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure saying %q", c.args, code, errOut.String(), c.want)
		}
	}
	out.Reset()
	if code := Main(context.Background(), []string{"start", "-help"}, &out, &errOut); code != exitOK || !strings.Contains(out.String(), "-impl") {
		t.Errorf("start -help: exit %d, %q", code, out.String())
	}
}
