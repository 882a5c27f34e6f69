package importer

// stmt is one keepalived statement: a keyword with its arguments and, when
// a `{` follows it, the statements of its block.
type stmt struct {
	pos      pos
	words    []string
	raw      string
	hasBlock bool
	block    []*stmt
}

// key is the keyword of the statement.
func (s *stmt) key() string { return s.words[0] }

// arg returns argument i (1 is the first after the keyword), or "".
func (s *stmt) arg(i int) string {
	if i < len(s.words) {
		return s.words[i]
	}
	return ""
}

// buildTree nests the items into statements. Like keepalived, a `{` that
// does not follow a statement is ignored, a `}` at the top level is
// extra, and blocks still open at the end are closed there; each such
// problem is reported.
func (r *reader) buildTree() []*stmt {
	i := 0
	top := r.buildBlock(&i, nil)
	return top
}

// buildBlock reads statements until the `}` that closes the block opened by
// parent (nil at the top level).
func (r *reader) buildBlock(i *int, parent *stmt) []*stmt {
	var out []*stmt
	var last *stmt // the statement just before, which a `{` may open
	for *i < len(r.items) {
		it := r.items[*i]
		*i++
		switch it.kind {
		case itemWords:
			last = &stmt{pos: it.pos, words: it.words, raw: it.raw}
			out = append(out, last)
		case itemOpen:
			if last == nil || last.hasBlock {
				r.skip(it.pos, "{", "a '{' that follows no keyword is ignored")
				continue
			}
			last.hasBlock = true
			last.block = r.buildBlock(i, last)
			last = nil
		case itemClose:
			if parent != nil {
				return out
			}
			r.skip(it.pos, "}", "extra '}' is ignored")
			last = nil
		}
	}
	if parent != nil {
		r.skip(parent.pos, parent.key(), "the block is not closed: a '}' is missing")
	}
	return out
}
