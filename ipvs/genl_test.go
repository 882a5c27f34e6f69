package ipvs

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFamilyRequestBytes(t *testing.T) {
	needLittleEndian(t)
	want := []byte{
		0x20, 0, 0, 0, // 32 bytes
		0x10, 0, // GENL_ID_CTRL
		0x05, 0, // NLM_F_REQUEST | NLM_F_ACK
		9, 0, 0, 0, 0, 0, 0, 0,
		3, 1, 0, 0, // CTRL_CMD_GETFAMILY
		9, 0, 2, 0, 'I', 'P', 'V', 'S', 0, 0, 0, 0, // CTRL_ATTR_FAMILY_NAME "IPVS\0" + pad
	}
	if got := familyRequest(9, "IPVS"); !bytes.Equal(got, want) {
		t.Fatalf("GETFAMILY\n got % x\nwant % x", got, want)
	}
}

func TestAttributePaddingAndNesting(t *testing.T) {
	needLittleEndian(t)
	b := appendNested(nil, 7, func(b []byte) []byte {
		b = appendU8Attr(b, 1, 0xaa)
		return appendU16Attr(b, 2, 0x0102)
	})
	want := []byte{20, 0, 7, 0, 5, 0, 1, 0, 0xaa, 0, 0, 0, 6, 0, 2, 0, 2, 1, 0, 0}
	if !bytes.Equal(b, want) {
		t.Fatalf("nest\n got % x\nwant % x", b, want)
	}
	attrs, err := parseAttributes(b)
	if err != nil || len(attrs) != 1 || attrs[0].typ != 7 {
		t.Fatalf("parse = %+v, %v", attrs, err)
	}
	inner, err := parseAttributes(attrs[0].data)
	if err != nil || len(inner) != 2 {
		t.Fatalf("inner = %+v, %v", inner, err)
	}
	if v, _ := attrU8(inner[0]); v != 0xaa {
		t.Errorf("u8 = %#x", v)
	}
	if v, _ := attrU16(inner[1]); v != 0x0102 {
		t.Errorf("u16 = %#x", v)
	}
	if _, err := attrU32(inner[1]); err == nil {
		t.Error("a 2-byte attribute read as u32")
	}
}

func TestParseNetlinkMessagesRejectsBadLengths(t *testing.T) {
	for name, b := range map[string][]byte{
		"short":          {1, 2, 3},
		"length too big": {99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"length too low": {4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	} {
		if msgs, err := parseNetlinkMessages(b); err == nil {
			t.Errorf("%s: parsed %+v", name, msgs)
		}
	}
	if msgs, err := parseNetlinkMessages(nil); err != nil || len(msgs) != 0 {
		t.Errorf("empty datagram: %+v, %v", msgs, err)
	}
}

func TestNetlinkError(t *testing.T) {
	ack := native.AppendUint32(nil, 0)
	if err := netlinkError(ack); err != nil {
		t.Errorf("ack = %v", err)
	}
	e := native.AppendUint32(nil, uint32(0xffffffff-uint32(unix.ESRCH)+1)) // -ESRCH
	if err := netlinkError(e); !errors.Is(err, unix.ESRCH) {
		t.Errorf("error = %v, want ESRCH", err)
	}
	if err := netlinkError([]byte{1}); err == nil {
		t.Error("truncated error accepted")
	}
}

func TestDecodeInfo(t *testing.T) {
	needLittleEndian(t)
	body := []byte{
		14, 1, 0, 0, // IPVS_CMD_SET_INFO, the reply to GET_INFO
		8, 0, 1, 0, 0x01, 0x02, 0x01, 0x00, // IPVS_INFO_ATTR_VERSION 0x010201
		8, 0, 2, 0, 0x00, 0x10, 0, 0, // IPVS_INFO_ATTR_CONN_TAB_SIZE 4096
	}
	info, err := decodeInfo([][]byte{body})
	if err != nil || info.Version != 0x010201 || info.ConnTableSize != 4096 || info.VersionString() != "1.2.1" {
		t.Fatalf("info = %+v (%s), %v", info, info.VersionString(), err)
	}
	if _, err := decodeInfo([][]byte{{14, 1, 0, 0}}); err == nil {
		t.Error("reply without version accepted")
	}
	if _, err := decodeInfo([][]byte{{14, 1, 0, 0, 6, 0, 1, 0, 1, 2, 0, 0}}); err == nil {
		t.Error("short version accepted")
	}
}

// FuzzParseNetlink feeds arbitrary datagrams to every decoder of kernel
// answers: none may panic, and a daemon that decodes must survive encoding
// and decoding again unchanged.
func FuzzParseNetlink(f *testing.F) {
	f.Add(append(native.AppendUint32(nil, uint32(nlmsgHdrLen+len(kernelDaemonReply))),
		append([]byte{0x2a, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0}, kernelDaemonReply...)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := parseNetlinkMessages(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			_ = netlinkError(m.data)
			_, _ = decodeInfo([][]byte{m.data})
			d, err := decodeDaemon(m.data)
			if err != nil {
				continue
			}
			again, err := decodeDaemon(newDaemonRequest(1, 1, d)[nlmsgHdrLen:])
			if err != nil || again != d {
				t.Fatalf("daemon %+v re-encoded decodes to %+v, %v", d, again, err)
			}
		}
	})
}
