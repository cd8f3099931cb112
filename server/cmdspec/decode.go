package cmdspec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// decoder reads the JSON of commands.json without reflection: encoding/json
// took about 5 ms for the table, too much for every server start, while
// this takes well under one. Strings are slices of the embedded file (no
// copies); the rare escaped string goes through encoding/json. It accepts
// any JSON layout, but only the value types the table uses, and rejects
// unknown keys so that a new field in the generator cannot be dropped
// silently. The first error sticks and stops the work.
type decoder struct {
	s   string
	pos int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("commands.json offset %d: %s", d.pos, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) ws() {
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end or after an error.
func (d *decoder) peek() byte {
	d.ws()
	if d.err != nil || d.pos >= len(d.s) {
		return 0
	}
	return d.s[d.pos]
}

// eat consumes c if it is next.
func (d *decoder) eat(c byte) bool {
	if d.peek() == c {
		d.pos++
		return true
	}
	return false
}

func (d *decoder) expect(c byte) {
	if !d.eat(c) && d.err == nil {
		d.fail("expected %q", c)
	}
}

// object calls field for each key; field must consume the value.
func (d *decoder) object(field func(key string)) {
	d.expect('{')
	if d.eat('}') {
		return
	}
	for d.err == nil {
		key := d.str()
		d.expect(':')
		field(key)
		if !d.eat(',') {
			break
		}
	}
	d.expect('}')
}

// array calls elem for each element; elem must consume it.
func (d *decoder) array(elem func()) {
	d.expect('[')
	if d.eat(']') {
		return
	}
	for d.err == nil {
		elem()
		if !d.eat(',') {
			break
		}
	}
	d.expect(']')
}

func (d *decoder) str() string {
	d.expect('"')
	if d.err != nil {
		return ""
	}
	start := d.pos
	end := strings.IndexByte(d.s[start:], '"')
	if end < 0 {
		d.fail("unterminated string")
		return ""
	}
	if strings.IndexByte(d.s[start:start+end], '\\') >= 0 {
		return d.escaped(start - 1)
	}
	d.pos = start + end + 1
	return d.s[start : start+end]
}

// escaped decodes the string starting at the quote at start.
func (d *decoder) escaped(start int) string {
	end := start + 1
	for end < len(d.s) && d.s[end] != '"' {
		if d.s[end] == '\\' {
			end++
		}
		end++
	}
	var out string
	if end >= len(d.s) || json.Unmarshal([]byte(d.s[start:end+1]), &out) != nil {
		d.fail("bad string")
		return ""
	}
	d.pos = end + 1
	return out
}

func (d *decoder) int() int {
	d.ws()
	start := d.pos
	if d.pos < len(d.s) && d.s[d.pos] == '-' {
		d.pos++
	}
	for d.pos < len(d.s) && d.s[d.pos] >= '0' && d.s[d.pos] <= '9' {
		d.pos++
	}
	n, err := strconv.Atoi(d.s[start:d.pos])
	if err != nil {
		d.fail("bad integer")
	}
	return n
}

func (d *decoder) strings() []string {
	out := []string{}
	d.array(func() { out = append(out, d.str()) })
	return out
}

// decodeTable reads the file: an array of command entries.
func decodeTable(s string) ([]*Spec, error) {
	d := &decoder{s: s}
	specs := make([]*Spec, 0, 400)
	d.array(func() { specs = append(specs, d.entry()) })
	if d.peek() != 0 {
		d.fail("trailing data")
	}
	return specs, d.err
}

// entry reads one command: COMMAND INFO's fields by name, the flags
// COMMAND INFO hides, and the COMMAND DOCS map.
func (d *decoder) entry() *Spec {
	s := &Spec{}
	var hidden []string
	d.object(func(key string) {
		switch key {
		case "name":
			s.Name = d.str()
		case "arity":
			s.Arity = d.int()
		case "flags":
			s.infoFlags = d.strings()
		case "first_key":
			s.FirstKey = d.int()
		case "last_key":
			s.LastKey = d.int()
		case "step":
			s.Step = d.int()
		case "acl_categories":
			s.ACLCategories = d.strings()
		case "tips":
			s.Tips = d.strings()
		case "key_specs":
			s.KeySpecs = []KeySpec{}
			d.array(func() { s.KeySpecs = append(s.KeySpecs, d.keySpec()) })
		case "hidden_flags":
			hidden = d.strings()
		case "doc":
			s.Doc = d.doc()
		default:
			d.fail("unknown command field %q", key)
		}
	})
	s.Flags = append(s.infoFlags[:len(s.infoFlags):len(s.infoFlags)], hidden...)
	return s
}

// keySpec reads a key spec in COMMAND INFO's shape.
func (d *decoder) keySpec() KeySpec {
	var ks KeySpec
	d.object(func(key string) {
		switch key {
		case "notes":
			ks.Notes = d.str()
		case "flags":
			ks.Flags = d.strings()
		case "begin_search":
			d.typedSpec(&ks.BeginSearch.Type, func(key string) { d.beginField(&ks.BeginSearch, key) })
		case "find_keys":
			d.typedSpec(&ks.FindKeys.Type, func(key string) { d.findField(&ks.FindKeys, key) })
		default:
			d.fail("unknown key spec field %q", key)
		}
	})
	return ks
}

// typedSpec reads {"type": t, "spec": {...}}, the spec's fields by field.
func (d *decoder) typedSpec(typ *string, field func(key string)) {
	d.object(func(key string) {
		switch key {
		case "type":
			*typ = d.str()
		case "spec":
			d.object(field)
		default:
			d.fail("unknown field %q", key)
		}
	})
}

func (d *decoder) beginField(b *BeginSearch, key string) {
	switch key {
	case "index":
		b.Index = d.int()
	case "keyword":
		b.Keyword = d.str()
	case "startfrom":
		b.StartFrom = d.int()
	default:
		d.fail("unknown begin_search field %q", key)
	}
}

func (d *decoder) findField(f *FindKeys, key string) {
	switch key {
	case "lastkey":
		f.LastKey = d.int()
	case "keystep":
		f.KeyStep = d.int()
	case "limit":
		f.Limit = d.int()
	case "keynumidx":
		f.KeyNumIdx = d.int()
	case "firstkey":
		f.FirstKey = d.int()
	default:
		d.fail("unknown find_keys field %q", key)
	}
}

// doc reads a COMMAND DOCS map (without subcommands, which have their own
// entries).
func (d *decoder) doc() Doc {
	var doc Doc
	d.object(func(key string) {
		switch key {
		case "summary":
			doc.Summary = d.str()
		case "since":
			doc.Since = d.str()
		case "group":
			doc.Group = d.str()
		case "complexity":
			doc.Complexity = d.str()
		case "doc_flags":
			doc.DocFlags = d.strings()
		case "deprecated_since":
			doc.DeprecatedSince = d.str()
		case "replaced_by":
			doc.ReplacedBy = d.str()
		case "history":
			d.array(func() { doc.History = append(doc.History, d.pair()) })
		case "arguments":
			doc.Arguments = d.args()
		default:
			d.fail("unknown doc field %q", key)
		}
	})
	return doc
}

func (d *decoder) pair() [2]string {
	var p [2]string
	n := 0
	d.array(func() {
		if n < 2 {
			p[n] = d.str()
		} else {
			d.fail("history entry of more than 2 strings")
		}
		n++
	})
	return p
}

func (d *decoder) args() []Arg {
	out := []Arg{}
	d.array(func() { out = append(out, d.arg()) })
	return out
}

func (d *decoder) arg() Arg {
	a := Arg{KeySpecIndex: -1}
	d.object(func(key string) {
		switch key {
		case "name":
			a.Name = d.str()
		case "type":
			a.Type = d.str()
		case "key_spec_index":
			a.KeySpecIndex = d.int()
		case "token":
			a.Token, a.HasToken = d.str(), true
		case "summary":
			a.Summary = d.str()
		case "since":
			a.Since = d.str()
		case "deprecated_since":
			a.DeprecatedSince = d.str()
		case "flags":
			a.Flags = d.strings()
		case "arguments":
			a.Arguments = d.args()
		default:
			d.fail("unknown argument field %q", key)
		}
	})
	return a
}
