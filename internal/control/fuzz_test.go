package control

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// FuzzParseRequest feeds arbitrary bytes to the daemon's request parser:
// it must never panic, and whatever it accepts must be a known command of
// this version that survives a round trip unchanged.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"v":1,"cmd":"status"}`))
	f.Add([]byte(`{"v":1,"cmd":"maintenance","args":{"instance":"VI_1","on":true}}`))
	f.Add([]byte(`{"v":2,"cmd":"status"}`))
	f.Add([]byte(`{"v":1,"cmd":"garp","args":{"instance":""}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseRequest(bytes.NewReader(data))
		if err != nil {
			return
		}
		if req.V != Version || !slices.Contains(commands, req.Cmd) {
			t.Fatalf("accepted %+v", req)
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseRequest(bytes.NewReader(b))
		if err != nil || !reflect.DeepEqual(again, req) {
			t.Fatalf("round trip of %+v: %+v, %v", req, again, err)
		}
	})
}

// FuzzParseResponse feeds arbitrary bytes to the client's response parser:
// no panic, and an accepted failure always carries a message.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"v":1,"ok":true,"data":{"router":"lb1"}}`))
	f.Add([]byte(`{"v":1,"ok":false,"error":"no vrrp_instance \"x\""}`))
	f.Add([]byte(`{"v":1,"ok":false}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := parseResponse(bytes.NewReader(data))
		if err != nil {
			return
		}
		if resp.V != Version || (!resp.OK && resp.Error == "") {
			t.Fatalf("accepted %+v", resp)
		}
	})
}
