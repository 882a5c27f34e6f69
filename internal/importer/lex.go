package importer

import (
	"strings"
)

// whiteSpace is the set of characters keepalived splits words on.
const whiteSpace = " \t\f\n\r\v"

// pos is a place in a keepalived file.
type pos struct {
	file string
	line int
}

// itemKind tells the three kinds of item the lexer produces.
type itemKind int

const (
	itemWords itemKind = iota // a statement: keyword and arguments
	itemOpen                  // "{"
	itemClose                 // "}"
)

// item is one lexical unit. keepalived splits every line at `{` and `}`
// (outside double quotes), so a statement never contains a brace.
type item struct {
	kind  itemKind
	pos   pos
	words []string // the words as keepalived's alloc_strvec_r splits them
	raw   string   // the statement text, which commands re-split with quotes and escapes
}

// decomment removes a comment (`!` or `#` outside double quotes) and the
// surrounding white space from a line, the way keepalived's decomment()
// does: `\#` and `\!` outside quotes stand for the character itself, and a
// trailing backslash is kept (it marks a continued definition). quoteOpen
// reports a double quote that is not closed.
func decomment(line string) (text string, quoteOpen bool) {
	line = strings.TrimLeft(line, " \t")
	var b strings.Builder
	quote := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quote = !quote
		case c == '\\' && i+1 < len(line):
			if !quote && (line[i+1] == '#' || line[i+1] == '!') {
				b.WriteByte(line[i+1])
			} else {
				b.WriteByte(c)
				b.WriteByte(line[i+1])
			}
			i++
			continue
		case !quote && (c == '!' || c == '#'):
			return strings.TrimRight(b.String(), " \t"), false
		}
		b.WriteByte(c)
	}
	return strings.TrimRight(b.String(), " \t"), quote
}

// splitBrace returns the first statement or brace of a line and the rest,
// like keepalived's read_line: a brace at the start is a unit of its own,
// otherwise the text runs to the first brace outside double quotes.
func splitBrace(s string) (first, rest string) {
	if s[0] == '{' || s[0] == '}' {
		return s[:1], strings.TrimLeft(s[1:], " \t")
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return s, ""
			}
			i += j + 1
		case '{', '}':
			return strings.TrimRight(s[:i], " \t"), s[i:]
		}
	}
	return s, ""
}

// splitWords splits a statement into words the way keepalived's
// alloc_strvec_r does: white space separates words, and a word that starts
// with a double quote runs to the next double quote, which is removed.
// ok is false when a quote is not closed; the words before it are returned.
func splitWords(s string) (words []string, ok bool) {
	i := 0
	for {
		for i < len(s) && strings.IndexByte(whiteSpace, s[i]) >= 0 {
			i++
		}
		if i >= len(s) {
			return words, true
		}
		if s[i] == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return words, false
			}
			words = append(words, s[i+1:i+1+j])
			i += j + 2
			continue
		}
		start := i
		for i < len(s) && s[i] != '"' && strings.IndexByte(whiteSpace, s[i]) < 0 {
			i++
		}
		words = append(words, s[start:i])
	}
}

// splitQuoted splits a string the way keepalived splits script command
// lines (alloc_strvec_quoted_escaped): white space separates words, single
// or double quotes group text into a word (the quotes are removed) and a
// backslash escapes as in C (\n, \t, \xHH, \nnn octal, \cX) or stands for
// the next character. ok is false for an unclosed quote or a trailing
// backslash.
func splitQuoted(s string) (words []string, ok bool) {
	i := 0
	for {
		for i < len(s) && strings.IndexByte(whiteSpace, s[i]) >= 0 {
			i++
		}
		if i >= len(s) {
			return words, true
		}
		var b strings.Builder
		var quote byte
		for i < len(s) {
			c := s[i]
			switch {
			case c == '\\':
				n, used := unescape(s[i+1:])
				if used == 0 {
					return words, false
				}
				b.WriteByte(n)
				i += 1 + used
				continue
			case quote != 0 && c == quote:
				quote = 0
				i++
				continue
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				i++
				continue
			case quote == 0 && strings.IndexByte(whiteSpace, c) >= 0:
			default:
				b.WriteByte(c)
				i++
				continue
			}
			break
		}
		if quote != 0 {
			return words, false
		}
		words = append(words, b.String())
	}
}

// unescape decodes the escape sequence after a backslash; used is the
// number of bytes consumed, 0 when there is nothing to escape.
func unescape(s string) (c byte, used int) {
	if s == "" {
		return 0, 0
	}
	switch {
	case s[0] == 'x' && len(s) > 1 && isHex(s[1]):
		n := 1
		for n < len(s) && isHex(s[n]) {
			c = c<<4 | hexVal(s[n])
			n++
		}
		return c, n
	case s[0] == 'c' && len(s) > 1:
		return s[1] & 0x1f, 2
	case s[0] >= '0' && s[0] <= '7':
		n := 0
		for n < 3 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
			c = c<<3 | (s[n] - '0')
			n++
		}
		return c, n
	}
	switch s[0] {
	case 'a':
		return '\a', 1
	case 'b':
		return '\b', 1
	case 'E':
		return 0x1b, 1
	case 'f':
		return '\f', 1
	case 'n':
		return '\n', 1
	case 'r':
		return '\r', 1
	case 't':
		return '\t', 1
	case 'v':
		return '\v', 1
	}
	return s[0], 1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
