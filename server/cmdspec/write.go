package cmdspec

import "github.com/kioku-db/kioku/resp"

// WriteInfo writes the command's COMMAND INFO entry as Redis 7.0's
// addReplyCommandInfo does: name, arity, flags (a set of status strings),
// first key, last key, step, ACL categories (a set), tips (a set),
// key specs (a set of maps) and subcommands. include, when not nil, picks
// the subcommands to list by full name ("config|get"); a command without
// subcommands ends with an empty set, one with subcommands with an array,
// as in Redis. Subcommands come sorted by name (Redis lists them in hash
// order, which differs from one process to the next).
func (s *Spec) WriteInfo(w *resp.Writer, include func(name string) bool) {
	w.Array(10)
	w.BulkString(s.Name)
	w.Int(int64(s.Arity))
	writeStatusSet(w, s.infoFlags)
	w.Int(int64(s.FirstKey))
	w.Int(int64(s.LastKey))
	w.Int(int64(s.Step))
	writeStatusSet(w, s.ACLCategories)
	w.Set(len(s.Tips))
	for _, t := range s.Tips {
		w.BulkString(t)
	}
	w.Set(len(s.KeySpecs))
	for i := range s.KeySpecs {
		s.KeySpecs[i].write(w)
	}
	if s.Subcommands == nil {
		w.Set(0)
		return
	}
	subs := s.includedSubcommands(include)
	w.Array(len(subs))
	for _, sub := range subs {
		sub.WriteInfo(w, include)
	}
}

func (s *Spec) includedSubcommands(include func(string) bool) []*Spec {
	if include == nil {
		return s.Subcommands
	}
	subs := make([]*Spec, 0, len(s.Subcommands))
	for _, sub := range s.Subcommands {
		if include(sub.Name) {
			subs = append(subs, sub)
		}
	}
	return subs
}

func writeStatusSet(w *resp.Writer, items []string) {
	w.Set(len(items))
	for _, it := range items {
		w.Status(it)
	}
}

// write writes the key spec map of COMMAND INFO.
func (ks *KeySpec) write(w *resp.Writer) {
	if ks.Notes != "" {
		w.Map(4)
		w.BulkString("notes")
		w.BulkString(ks.Notes)
	} else {
		w.Map(3)
	}
	w.BulkString("flags")
	writeStatusSet(w, ks.Flags)
	w.BulkString("begin_search")
	ks.BeginSearch.write(w)
	w.BulkString("find_keys")
	ks.FindKeys.write(w)
}

func (b *BeginSearch) write(w *resp.Writer) {
	writeSpecType(w, b.Type)
	switch b.Type {
	case "index":
		w.Map(1)
		writeIntField(w, "index", b.Index)
	case "keyword":
		w.Map(2)
		w.BulkString("keyword")
		w.BulkString(b.Keyword)
		writeIntField(w, "startfrom", b.StartFrom)
	default:
		w.Map(0)
	}
}

func (f *FindKeys) write(w *resp.Writer) {
	writeSpecType(w, f.Type)
	switch f.Type {
	case "range":
		w.Map(3)
		writeIntField(w, "lastkey", f.LastKey)
		writeIntField(w, "keystep", f.KeyStep)
		writeIntField(w, "limit", f.Limit)
	case "keynum":
		w.Map(3)
		writeIntField(w, "keynumidx", f.KeyNumIdx)
		writeIntField(w, "firstkey", f.FirstKey)
		writeIntField(w, "keystep", f.KeyStep)
	default:
		w.Map(0)
	}
}

// writeSpecType opens a {type, spec} map; the caller writes the spec.
func writeSpecType(w *resp.Writer, typ string) {
	w.Map(2)
	w.BulkString("type")
	w.BulkString(typ)
	w.BulkString("spec")
}

func writeIntField(w *resp.Writer, name string, v int) {
	w.BulkString(name)
	w.Int(int64(v))
}

// WriteDocs writes the command's COMMAND DOCS map as Redis 7.0's
// addReplyCommandDocs does (the caller writes the name before it). The
// subcommands map lists them sorted by name.
func (s *Spec) WriteDocs(w *resp.Writer) {
	d := &s.Doc
	w.Map(count(d.Summary != "", d.Since != "", true, d.Complexity != "",
		len(d.DocFlags) > 0, d.DeprecatedSince != "", d.ReplacedBy != "",
		len(d.History) > 0, len(d.Arguments) > 0, s.Subcommands != nil))
	writeStringField(w, "summary", d.Summary)
	writeStringField(w, "since", d.Since)
	w.BulkString("group")
	w.BulkString(d.Group)
	writeStringField(w, "complexity", d.Complexity)
	if len(d.DocFlags) > 0 {
		w.BulkString("doc_flags")
		writeStatusSet(w, d.DocFlags)
	}
	writeStringField(w, "deprecated_since", d.DeprecatedSince)
	writeStringField(w, "replaced_by", d.ReplacedBy)
	if len(d.History) > 0 {
		w.BulkString("history")
		writeHistory(w, d.History)
	}
	if len(d.Arguments) > 0 {
		w.BulkString("arguments")
		writeArgs(w, d.Arguments)
	}
	if s.Subcommands != nil {
		w.BulkString("subcommands")
		w.Map(len(s.Subcommands))
		for _, sub := range s.Subcommands {
			w.BulkString(sub.Name)
			sub.WriteDocs(w)
		}
	}
}

func writeHistory(w *resp.Writer, h [][2]string) {
	w.Set(len(h))
	for _, e := range h {
		w.Array(2)
		w.BulkString(e[0])
		w.BulkString(e[1])
	}
}

// writeArgs writes an argument list as addReplyCommandArgList does.
func writeArgs(w *resp.Writer, args []Arg) {
	w.Array(len(args))
	for i := range args {
		a := &args[i]
		nested := a.Type == "oneof" || a.Type == "block"
		w.Map(count(true, true, a.KeySpecIndex >= 0, a.HasToken, a.Summary != "",
			a.Since != "", a.DeprecatedSince != "", len(a.Flags) > 0, nested))
		w.BulkString("name")
		w.BulkString(a.Name)
		w.BulkString("type")
		w.BulkString(a.Type)
		if a.KeySpecIndex >= 0 {
			writeIntField(w, "key_spec_index", a.KeySpecIndex)
		}
		if a.HasToken {
			w.BulkString("token")
			w.BulkString(a.Token)
		}
		writeStringField(w, "summary", a.Summary)
		writeStringField(w, "since", a.Since)
		writeStringField(w, "deprecated_since", a.DeprecatedSince)
		if len(a.Flags) > 0 {
			w.BulkString("flags")
			writeStatusSet(w, a.Flags)
		}
		if nested {
			w.BulkString("arguments")
			writeArgs(w, a.Arguments)
		}
	}
}

// writeStringField writes name and value when the value is set: Redis
// leaves out the fields a command does not have.
func writeStringField(w *resp.Writer, name, v string) {
	if v != "" {
		w.BulkString(name)
		w.BulkString(v)
	}
}

// count counts the fields that will be written: Redis sizes its maps
// before writing them.
func count(present ...bool) int {
	n := 0
	for _, p := range present {
		if p {
			n++
		}
	}
	return n
}
