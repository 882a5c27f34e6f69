package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// fileSystem is what reading needs from the file system; tests and the
// fuzzer replace it.
type fileSystem interface {
	ReadFile(name string) ([]byte, error)
	// Glob returns the names matching pattern (filepath.Match syntax), sorted.
	Glob(pattern string) ([]string, error)
	IsDir(name string) bool
}

// osFS is the real file system.
type osFS struct{}

func (osFS) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func (osFS) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }
func (osFS) IsDir(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.IsDir()
}

// Limits that keep a hostile or broken file from exhausting memory.
const (
	maxIncludeDepth = 32      // nested include levels
	maxBraceExpand  = 256     // patterns one include may expand to
	maxLineLen      = 1 << 16 // bytes of a line after parameter substitution
	maxSubstitute   = 64      // parameter substitutions in one line
)

// includeKeywords are keepalived's include directive and its variants,
// which differ only in how missing files are reported.
var includeKeywords = map[string]bool{
	"include": true, "includer": true, "includem": true, "includew": true, "includeb": true, "includea": true,
}

// definition matches a parameter definition line `$NAME=value`.
var definition = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)=[ \t]*(.*)$`)

// reader turns keepalived files into one stream of items, following
// includes, applying conditional lines and parameter definitions.
type reader struct {
	fs      fileSystem
	opts    Options
	defs    map[string]string // $NAME=value definitions, shared by all files as in keepalived
	stack   []string          // absolute names of the files being read, to detect loops
	items   []item
	report  []Skipped
	fileSeq map[string]int // order in which files were first read, to sort the report
}

func newReader(fsys fileSystem, opts Options) *reader {
	return &reader{fs: fsys, opts: opts, defs: map[string]string{}, fileSeq: map[string]int{}}
}

// skip records an item that is not converted.
func (r *reader) skip(p pos, keyword, why string) {
	r.report = append(r.report, Skipped{File: p.file, Line: p.line, Keyword: keyword, Why: why})
}

// readFile lexes one file. name is used in positions; dir resolves relative
// includes and ${_PWD}.
func (r *reader) readFile(name, dir string, data []byte) {
	if _, seen := r.fileSeq[name]; !seen {
		r.fileSeq[name] = len(r.fileSeq)
	}
	abs, err := filepath.Abs(filepath.Join(dir, filepath.Base(name)))
	if err != nil {
		abs = name
	}
	r.stack = append(r.stack, abs)
	defer func() { r.stack = r.stack[:len(r.stack)-1] }()

	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		p := pos{file: name, line: i + 1}
		text, quoteOpen := decomment(strings.TrimRight(lines[i], "\r"))
		if text == "" {
			continue
		}
		if !utf8.ValidString(text) {
			// HCL is UTF-8: such a value could only be written altered.
			r.skip(p, firstWord(strings.ToValidUTF8(text, "?")), "the line is not valid UTF-8")
			continue
		}
		if quoteOpen {
			r.skip(p, firstWord(text), "a double quote is not closed on this line")
			continue
		}
		if m := definition.FindStringSubmatch(text); m != nil && strings.HasSuffix(m[2], `\`) {
			// A multi-line definition runs to, and includes, the first line
			// without a trailing backslash.
			for i+1 < len(lines) {
				i++
				if next, _ := decomment(lines[i]); !strings.HasSuffix(next, `\`) {
					break
				}
			}
			r.skip(p, "$"+m[1], "multi-line parameter definitions are not supported; expand the definition by hand")
			continue
		}
		r.line(text, p, dir)
	}
}

// line handles one decommented, non-empty line.
func (r *reader) line(text string, p pos, dir string) {
	for range 4 { // a substitution may produce a new conditional prefix
		if text[0] == '@' {
			var keep bool
			if text, keep = r.conditional(text, p); !keep {
				return
			}
		}
		if m := definition.FindStringSubmatch(text); m != nil {
			r.defs[m[1]] = m[2]
			return
		}
		if strings.HasPrefix(text, "~SEQ") || strings.HasPrefix(text, "~LST") {
			r.skip(p, text[:4], "sequence and list blocks are not supported; expand them by hand")
			return
		}
		next, changed := r.substitute(text, dir)
		if !changed {
			break
		}
		if next == "" {
			return
		}
		text = next
		if text[0] != '@' {
			break
		}
	}
	for text != "" {
		if words, _ := splitWords(text); len(words) == 2 && includeKeywords[words[0]] {
			r.include(words[1], p, dir)
			return
		}
		var first string
		first, text = splitBrace(text)
		switch first {
		case "{":
			r.items = append(r.items, item{kind: itemOpen, pos: p})
		case "}":
			r.items = append(r.items, item{kind: itemClose, pos: p})
		default:
			words, ok := splitWords(first)
			if !ok {
				r.skip(p, firstWord(first), "a double quote is not closed")
				continue
			}
			if len(words) > 0 {
				r.items = append(r.items, item{kind: itemWords, pos: p, words: words, raw: first})
			}
		}
	}
}

// conditional applies an `@id` or `@^id` prefix: the line counts only when
// id is (or, with ^, is not) the configuration id of the conversion.
func (r *reader) conditional(text string, p pos) (string, bool) {
	rev := strings.HasPrefix(text, "@^")
	ofs := 1
	if rev {
		ofs = 2
	}
	end := strings.IndexAny(text[ofs:], " \t")
	if end < 0 {
		return "", false // nothing after the id
	}
	id := text[ofs : ofs+end]
	rest := strings.TrimLeft(text[ofs+end:], " \t")
	if (r.opts.ConfigID != "" && id == r.opts.ConfigID) != rev {
		return rest, true
	}
	current := "none was given"
	if r.opts.ConfigID != "" {
		current = fmt.Sprintf("it is %q", r.opts.ConfigID)
	}
	cond := "only for config id " + id
	if rev {
		cond = "for every config id except " + id
	}
	r.skip(p, firstWord(rest), fmt.Sprintf("conditional line (%s) left out: the config id of this conversion decides, and %s", cond, current))
	return "", false
}

// substitute replaces $NAME and ${NAME} by their definitions, including the
// predefined _PWD, _INSTANCE, _HASH and _BANG. Undefined names stay as they
// are, as in keepalived.
func (r *reader) substitute(text, dir string) (string, bool) {
	if !strings.Contains(text, "$") {
		return text, false
	}
	lookup := func(name string) (string, bool) {
		switch name {
		case "_PWD":
			abs, err := filepath.Abs(dir)
			if err != nil {
				abs = dir
			}
			return abs, true
		case "_INSTANCE":
			return r.opts.ConfigID, true
		case "_HASH":
			return "#", true
		case "_BANG":
			return "!", true
		}
		v, ok := r.defs[name]
		return v, ok
	}
	changed := false
	for i, n := 0, 0; i < len(text) && n < maxSubstitute; i++ {
		if text[i] != '$' {
			continue
		}
		name, width := paramRef(text[i+1:])
		if name == "" {
			continue
		}
		v, ok := lookup(name)
		if !ok || len(text)+len(v) > maxLineLen {
			continue
		}
		// The replacement is scanned again, so definitions may refer to
		// other definitions.
		text = text[:i] + v + text[i+1+width:]
		i--
		n++
		changed = true
	}
	return text, changed
}

// paramRef parses the name after a '$': `{NAME}` or NAME followed by white
// space, ',', ')' or the end. width is the number of bytes used.
func paramRef(s string) (name string, width int) {
	braces := strings.HasPrefix(s, "{")
	start := 0
	if braces {
		start = 1
	}
	end := start
	for end < len(s) && (s[end] == '_' || s[end] >= 'A' && s[end] <= 'Z' || s[end] >= 'a' && s[end] <= 'z' ||
		end > start && s[end] >= '0' && s[end] <= '9') {
		end++
	}
	if end == start {
		return "", 0
	}
	if braces {
		if end >= len(s) || s[end] != '}' {
			return "", 0
		}
		return s[start:end], end + 1
	}
	if end < len(s) && !strings.ContainsRune(" \t,)", rune(s[end])) {
		return "", 0
	}
	return s[:end], end
}

// include reads the files matching pattern. A relative pattern is relative
// to the directory of the including file; braces expand like csh.
func (r *reader) include(pattern string, p pos, dir string) {
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(dir, pattern)
	}
	if len(r.stack) >= maxIncludeDepth {
		r.skip(p, "include", fmt.Sprintf("includes are nested deeper than %d levels", maxIncludeDepth))
		return
	}
	var matches []string
	for _, pat := range expandBraces(pattern, maxBraceExpand) {
		m, err := r.fs.Glob(pat)
		if err != nil {
			r.skip(p, "include", fmt.Sprintf("bad pattern %q: %v", pat, err))
			return
		}
		matches = append(matches, m...)
	}
	read := 0
	for _, name := range matches {
		if r.fs.IsDir(name) {
			continue
		}
		abs, err := filepath.Abs(name)
		if err != nil {
			abs = name
		}
		if slices.Contains(r.stack, abs) {
			r.skip(p, "include", fmt.Sprintf("include loop: %s is already being read", name))
			continue
		}
		data, err := r.fs.ReadFile(name)
		if err != nil {
			r.skip(p, "include", fmt.Sprintf("cannot read %s: %v", name, err))
			continue
		}
		read++
		r.readFile(name, filepath.Dir(name), data)
	}
	if read == 0 && len(matches) == 0 {
		r.skip(p, "include", fmt.Sprintf("no file matches %s", pattern))
	}
}

// expandBraces expands csh-style braces: "a{b,c{d,e}}f" gives abf, acdf,
// acef. At most limit patterns are returned.
func expandBraces(s string, limit int) []string {
	open := -1
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			if depth == 0 {
				open = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth > 0 {
				continue
			}
			alts := splitTopLevel(s[open+1 : i])
			if len(alts) < 2 {
				// "{x}" is no alternative; glob treats it literally.
				open = -1
				continue
			}
			var out []string
			for _, a := range alts {
				for _, e := range expandBraces(s[:open]+a+s[i+1:], limit-len(out)) {
					if len(out) >= limit {
						return out
					}
					out = append(out, e)
				}
			}
			return out
		}
	}
	return []string{s}
}

// splitTopLevel splits the inside of a brace pair at commas that are not
// inside nested braces.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// firstWord is the keyword of a line, for reports.
func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}
