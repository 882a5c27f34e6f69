package healthcheck

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// DNSChecker queries the target for a name and type and is healthy when the
// reply is a successful answer holding at least one record of that type
// (and, with ExpectAddrs, one of those addresses).
type DNSChecker struct {
	// Name is the queried name; a missing final dot is added.
	Name string
	// Type is the query type; zero means A.
	Type dnsmessage.Type
	// ExpectAddrs, when set, requires an A or AAAA answer equal to one of
	// these addresses.
	ExpectAddrs []netip.Addr
	// TCP queries over TCP instead of UDP.
	TCP bool
}

// String describes every setting that affects the result.
func (c *DNSChecker) String() string {
	return fmt.Sprintf("dns name=%q type=%s expect=%v tcp=%t", c.fqdn(), dnsTypeName(c.qtype()), c.ExpectAddrs, c.TCP)
}

func (c *DNSChecker) fqdn() string {
	if strings.HasSuffix(c.Name, ".") {
		return c.Name
	}
	return c.Name + "."
}

func (c *DNSChecker) qtype() dnsmessage.Type {
	if c.Type == 0 {
		return dnsmessage.TypeA
	}
	return c.Type
}

// Validate reports a name that cannot be queried.
func (c *DNSChecker) Validate() error {
	if strings.TrimSpace(c.Name) == "" {
		return fmt.Errorf("dns check: empty name")
	}
	_, err := c.question()
	return err
}

func (c *DNSChecker) question() (dnsmessage.Question, error) {
	name, err := dnsmessage.NewName(c.fqdn())
	if err != nil {
		return dnsmessage.Question{}, fmt.Errorf("dns check: name %q: %w", c.Name, err)
	}
	return dnsmessage.Question{Name: name, Type: c.qtype(), Class: dnsmessage.ClassINET}, nil
}

// Check sends one query to t.ProbeAddr() and judges the reply.
func (c *DNSChecker) Check(ctx context.Context, t Target) Result {
	q, err := c.question()
	if err != nil {
		return failed(err.Error())
	}
	id := uint16(rand.N(1 << 16))
	query, err := (&dnsmessage.Message{
		Header:    dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{q},
	}).Pack()
	if err != nil {
		return failed("dns: " + err.Error())
	}
	reply, err := c.exchange(ctx, t, query)
	if err != nil {
		return failed(errorReason("dns", err))
	}
	return judgeDNSReply(reply, id, q, c.ExpectAddrs)
}

// exchange sends query and returns the raw reply.
func (c *DNSChecker) exchange(ctx context.Context, t Target, query []byte) ([]byte, error) {
	var (
		conn net.Conn
		err  error
	)
	if c.TCP {
		conn, err = dialTCP(ctx, t)
	} else {
		conn, err = dialUDP(ctx, t)
	}
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if !c.TCP {
		if _, err := conn.Write(query); err != nil {
			return nil, err
		}
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		return buf[:n], err
	}
	framed := binary.BigEndian.AppendUint16(nil, uint16(len(query)))
	if _, err := conn.Write(append(framed, query...)); err != nil {
		return nil, err
	}
	var size [2]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil, err
	}
	buf := make([]byte, binary.BigEndian.Uint16(size[:]))
	_, err = io.ReadFull(conn, buf)
	return buf, err
}

// judgeDNSReply decides the result from the raw reply bytes, which come
// from the network and may be anything.
func judgeDNSReply(reply []byte, id uint16, q dnsmessage.Question, expect []netip.Addr) Result {
	var p dnsmessage.Parser
	h, err := p.Start(reply)
	if err != nil {
		return failed("dns: malformed reply")
	}
	if !h.Response || h.ID != id {
		return failed("dns: reply does not match the query")
	}
	if h.RCode != dnsmessage.RCodeSuccess {
		return failed("dns: rcode " + strings.TrimPrefix(h.RCode.String(), "RCode"))
	}
	questions, err := p.AllQuestions()
	if err != nil {
		return failed("dns: malformed reply")
	}
	if len(questions) != 1 || questions[0].Type != q.Type || !strings.EqualFold(questions[0].Name.String(), q.Name.String()) {
		return failed("dns: reply is for another question")
	}
	found, matched := 0, false
	for {
		ah, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return failed("dns: malformed reply")
		}
		if ah.Type != q.Type && q.Type != dnsmessage.TypeALL {
			if err := p.SkipAnswer(); err != nil {
				return failed("dns: malformed reply")
			}
			continue
		}
		found++
		addr, err := answerAddr(&p, ah.Type)
		if err != nil {
			return failed("dns: malformed reply")
		}
		if addr.IsValid() && slices.Contains(expect, addr) {
			matched = true
		}
	}
	// A reply whose later sections are garbage is not trusted either.
	if p.SkipAllAuthorities() != nil || p.SkipAllAdditionals() != nil {
		return failed("dns: malformed reply")
	}
	switch {
	case found == 0:
		return failed("dns: no " + dnsTypeName(q.Type) + " answer")
	case len(expect) > 0 && !matched:
		return failed("dns: answer lacks the expected address")
	}
	return healthy(fmt.Sprintf("dns: %d %s answers", found, dnsTypeName(q.Type)))
}

// answerAddr consumes the current answer's body and returns its address for
// A and AAAA records.
func answerAddr(p *dnsmessage.Parser, t dnsmessage.Type) (netip.Addr, error) {
	switch t {
	case dnsmessage.TypeA:
		r, err := p.AResource()
		return netip.AddrFrom4(r.A), err
	case dnsmessage.TypeAAAA:
		r, err := p.AAAAResource()
		return netip.AddrFrom16(r.AAAA), err
	default:
		return netip.Addr{}, p.SkipAnswer()
	}
}
