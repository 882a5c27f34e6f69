package ipvs

// A minimal generic netlink client: enough for the IPVS commands moby/ipvs
// does not wrap (sync daemon, GET_INFO) and for asking whether the IPVS family
// exists. Encoding and decoding are pure functions so tests can check them
// byte for byte; only genlConn touches a socket.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// Netlink and generic netlink framing (include/uapi/linux/netlink.h, genetlink.h).
const (
	nlmsgHdrLen = 16
	genlHdrLen  = 4
	nlaHdrLen   = 4
	nlaTypeMask = 0x3fff // strips NLA_F_NESTED and NLA_F_NET_BYTEORDER

	genlIDCtrl         = 0x10
	ctrlCmdGetFamily   = 3
	ctrlAttrFamilyID   = 1
	ctrlAttrFamilyName = 2

	ipvsGenlName    = "IPVS"
	ipvsGenlVersion = 1
)

// IPVS generic netlink commands and attributes (include/uapi/linux/ip_vs.h).
const (
	ipvsCmdNewDaemon = 9
	ipvsCmdDelDaemon = 10
	ipvsCmdGetDaemon = 11
	ipvsCmdGetInfo   = 15

	ipvsCmdAttrDaemon = 3

	ipvsDaemonAttrState       = 1
	ipvsDaemonAttrMcastIfn    = 2
	ipvsDaemonAttrSyncID      = 3
	ipvsDaemonAttrSyncMaxLen  = 4
	ipvsDaemonAttrMcastGroup  = 5
	ipvsDaemonAttrMcastGroup6 = 6
	ipvsDaemonAttrMcastPort   = 7
	ipvsDaemonAttrMcastTTL    = 8

	ipvsInfoAttrVersion     = 1
	ipvsInfoAttrConnTabSize = 2
)

// Netlink carries integers in host byte order.
var native = binary.NativeEndian

func nlaAlign(n int) int { return (n + 3) &^ 3 }

// appendAttr appends one attribute with its padding.
func appendAttr(b []byte, typ uint16, payload []byte) []byte {
	b = native.AppendUint16(b, uint16(nlaHdrLen+len(payload)))
	b = native.AppendUint16(b, typ)
	b = append(b, payload...)
	for range nlaAlign(len(payload)) - len(payload) {
		b = append(b, 0)
	}
	return b
}

func appendU8Attr(b []byte, typ uint16, v uint8) []byte { return appendAttr(b, typ, []byte{v}) }

func appendU16Attr(b []byte, typ uint16, v uint16) []byte {
	return appendAttr(b, typ, native.AppendUint16(nil, v))
}

func appendU32Attr(b []byte, typ uint16, v uint32) []byte {
	return appendAttr(b, typ, native.AppendUint32(nil, v))
}

// appendStringAttr appends a NUL-terminated string (NLA_NUL_STRING / NLA_STRING).
func appendStringAttr(b []byte, typ uint16, s string) []byte {
	return appendAttr(b, typ, append([]byte(s), 0))
}

// appendNested appends an attribute whose payload fill writes. Like libnl's
// nla_nest_start it does not set NLA_F_NESTED; the IPVS family parses its
// nests with the non-strict parser, which accepts both.
func appendNested(b []byte, typ uint16, fill func([]byte) []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = fill(b)
	native.PutUint16(b[start:], uint16(len(b)-start))
	native.PutUint16(b[start+2:], typ)
	return b
}

// genlMessage builds a complete request: nlmsghdr (port id 0, filled in by the
// kernel), genlmsghdr, attributes.
func genlMessage(family, flags uint16, seq uint32, cmd, version uint8, attrs []byte) []byte {
	b := make([]byte, 0, nlmsgHdrLen+genlHdrLen+len(attrs))
	b = native.AppendUint32(b, uint32(nlmsgHdrLen+genlHdrLen+len(attrs)))
	b = native.AppendUint16(b, family)
	b = native.AppendUint16(b, flags)
	b = native.AppendUint32(b, seq)
	b = native.AppendUint32(b, 0)
	b = append(b, cmd, version, 0, 0)
	return append(b, attrs...)
}

// netlinkMessage is one parsed message; data follows the nlmsghdr.
type netlinkMessage struct {
	typ, flags uint16
	seq, pid   uint32
	data       []byte
}

// parseNetlinkMessages splits a datagram into messages, checking every length.
func parseNetlinkMessages(b []byte) ([]netlinkMessage, error) {
	var msgs []netlinkMessage
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return nil, fmt.Errorf("netlink: %d trailing bytes, shorter than a header", len(b))
		}
		l := int(native.Uint32(b))
		if l < nlmsgHdrLen || l > len(b) {
			return nil, fmt.Errorf("netlink: message length %d outside %d..%d", l, nlmsgHdrLen, len(b))
		}
		msgs = append(msgs, netlinkMessage{
			typ:   native.Uint16(b[4:]),
			flags: native.Uint16(b[6:]),
			seq:   native.Uint32(b[8:]),
			pid:   native.Uint32(b[12:]),
			data:  b[nlmsgHdrLen:l],
		})
		b = b[min(nlaAlign(l), len(b)):]
	}
	return msgs, nil
}

// attribute is one parsed netlink attribute (type without the flag bits).
type attribute struct {
	typ  uint16
	data []byte
}

// parseAttributes splits an attribute stream, checking every length.
func parseAttributes(b []byte) ([]attribute, error) {
	var attrs []attribute
	for len(b) > 0 {
		if len(b) < nlaHdrLen {
			return nil, fmt.Errorf("netlink: %d trailing attribute bytes", len(b))
		}
		l := int(native.Uint16(b))
		if l < nlaHdrLen || l > len(b) {
			return nil, fmt.Errorf("netlink: attribute length %d outside %d..%d", l, nlaHdrLen, len(b))
		}
		attrs = append(attrs, attribute{typ: native.Uint16(b[2:]) & nlaTypeMask, data: b[nlaHdrLen:l]})
		b = b[min(nlaAlign(l), len(b)):]
	}
	return attrs, nil
}

// genlPayload strips the genlmsghdr from a message body and returns the
// command and the attributes.
func genlPayload(data []byte) (cmd uint8, attrs []attribute, err error) {
	if len(data) < genlHdrLen {
		return 0, nil, fmt.Errorf("generic netlink: body of %d bytes has no header", len(data))
	}
	attrs, err = parseAttributes(data[genlHdrLen:])
	return data[0], attrs, err
}

func attrU8(a attribute) (uint8, error) {
	if len(a.data) < 1 {
		return 0, fmt.Errorf("attribute %d: want 1 byte, got %d", a.typ, len(a.data))
	}
	return a.data[0], nil
}

func attrU16(a attribute) (uint16, error) {
	if len(a.data) < 2 {
		return 0, fmt.Errorf("attribute %d: want 2 bytes, got %d", a.typ, len(a.data))
	}
	return native.Uint16(a.data), nil
}

func attrU32(a attribute) (uint32, error) {
	if len(a.data) < 4 {
		return 0, fmt.Errorf("attribute %d: want 4 bytes, got %d", a.typ, len(a.data))
	}
	return native.Uint32(a.data), nil
}

// attrString reads a string attribute up to its first NUL.
func attrString(a attribute) string {
	for i, c := range a.data {
		if c == 0 {
			return string(a.data[:i])
		}
	}
	return string(a.data)
}

// netlinkError decodes the errno of an NLMSG_ERROR (or a DONE carrying one).
func netlinkError(data []byte) error {
	if len(data) < 4 {
		return errors.New("netlink: truncated error message")
	}
	if code := int32(native.Uint32(data)); code < 0 {
		return unix.Errno(-code)
	}
	return nil
}

// genlConn is a generic netlink socket, safe for concurrent use.
type genlConn struct {
	mu  sync.Mutex
	fd  int
	seq uint32
	buf []byte
}

// dialGenl opens a generic netlink socket in the network namespace at nsPath
// ("" for the caller's own).
func dialGenl(nsPath string) (*genlConn, error) {
	fd, err := inNamespace(nsPath, openGenlSocket)
	if err != nil {
		return nil, err
	}
	return &genlConn{fd: fd, buf: make([]byte, 1<<16)}, nil
}

func openGenlSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return -1, fmt.Errorf("generic netlink socket: %w", err)
	}
	// A kernel that never answers must not hang the director.
	tv := unix.Timeval{Sec: 5}
	if err := errors.Join(
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv),
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv),
		unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}),
	); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("generic netlink socket: %w", err)
	}
	return fd, nil
}

// inNamespace runs open with the calling thread in the network namespace at
// nsPath. It uses a throwaway goroutine locked to its thread and never
// unlocked: when that goroutine ends, the runtime discards the thread, so no
// thread is left in the wrong namespace even if switching back would fail.
func inNamespace(nsPath string, open func() (int, error)) (int, error) {
	if nsPath == "" {
		return open()
	}
	type result struct {
		fd  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(nsPath)
		if err != nil {
			done <- result{-1, fmt.Errorf("network namespace: %w", err)}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- result{-1, fmt.Errorf("enter network namespace %s: %w", nsPath, err)}
			return
		}
		fd, err := open()
		done <- result{fd, err}
	}()
	r := <-done
	return r.fd, r.err
}

// Close releases the socket.
func (c *genlConn) Close() error { return unix.Close(c.fd) }

// execute sends a request built by build (given the sequence number) and
// collects the bodies of the replies. A dump ends with NLMSG_DONE; any other
// request is sent with NLM_F_ACK and ends with the acknowledgement.
func (c *genlConn) execute(dump bool, build func(seq uint32) []byte) ([][]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	seq := c.seq
	if err := unix.Sendto(c.fd, build(seq), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}
	var bodies [][]byte
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return nil, errors.New("netlink: no answer from the kernel within 5 s")
		case err != nil:
			return nil, fmt.Errorf("netlink receive: %w", err)
		}
		msgs, err := parseNetlinkMessages(c.buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.seq != seq {
				continue // a late answer to an earlier, timed-out request
			}
			switch m.typ {
			case unix.NLMSG_ERROR:
				if err := netlinkError(m.data); err != nil {
					return nil, err
				}
				return bodies, nil // the acknowledgement
			case unix.NLMSG_DONE:
				if len(m.data) >= 4 {
					if err := netlinkError(m.data); err != nil {
						return nil, err
					}
				}
				return bodies, nil
			case unix.NLMSG_NOOP:
			default:
				bodies = append(bodies, append([]byte(nil), m.data...))
			}
		}
	}
}

// requestFlags returns the nlmsg flags of a dump or of an acknowledged request.
func requestFlags(dump bool) uint16 {
	if dump {
		return unix.NLM_F_REQUEST | unix.NLM_F_DUMP
	}
	return unix.NLM_F_REQUEST | unix.NLM_F_ACK
}

// familyRequest asks the generic netlink controller for a family by name.
func familyRequest(seq uint32, name string) []byte {
	return genlMessage(genlIDCtrl, requestFlags(false), seq, ctrlCmdGetFamily, 1,
		appendStringAttr(nil, ctrlAttrFamilyName, name))
}

// familyID resolves a generic netlink family; ok is false when the kernel
// does not know it (ENOENT).
func (c *genlConn) familyID(name string) (id uint16, ok bool, err error) {
	bodies, err := c.execute(false, func(seq uint32) []byte { return familyRequest(seq, name) })
	if errors.Is(err, unix.ENOENT) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up generic netlink family %s: %w", name, err)
	}
	for _, body := range bodies {
		_, attrs, err := genlPayload(body)
		if err != nil {
			return 0, false, err
		}
		for _, a := range attrs {
			if a.typ == ctrlAttrFamilyID {
				v, err := attrU16(a)
				return v, err == nil, err
			}
		}
	}
	return 0, false, fmt.Errorf("generic netlink family %s: reply has no family id", name)
}
