package netif

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"
)

// readPcap returns the frames of a classic pcap file (microsecond or
// nanosecond timestamps, either byte order).
func readPcap(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := parsePcap(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return frames
}

func parsePcap(data []byte) ([][]byte, error) {
	const globalLen, recordLen = 24, 16
	if len(data) < globalLen {
		return nil, fmt.Errorf("%d bytes: no pcap global header", len(data))
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order = binary.BigEndian
	default:
		return nil, fmt.Errorf("magic % x: not a pcap file", data[:4])
	}
	if link := order.Uint32(data[20:24]); link != 1 {
		return nil, fmt.Errorf("link type %d, want 1 (Ethernet)", link)
	}
	var frames [][]byte
	for rest := data[globalLen:]; len(rest) > 0; {
		if len(rest) < recordLen {
			return nil, fmt.Errorf("truncated record header")
		}
		n := int(order.Uint32(rest[8:12]))
		if len(rest) < recordLen+n {
			return nil, fmt.Errorf("record of %d bytes truncated", n)
		}
		frames = append(frames, rest[recordLen:recordLen+n])
		rest = rest[recordLen+n:]
	}
	return frames, nil
}
