package pubsub

import (
	"cmp"
	"slices"
)

// orderedSet is a set of names that remembers the order they were added:
// adding and removing are O(1), listing in order sorts. Listing happens
// only when a subscriber leaves everything, so it pays there.
type orderedSet struct {
	seq  map[string]uint64
	next uint64
}

func (o *orderedSet) len() int { return len(o.seq) }

// add reports whether name was new.
func (o *orderedSet) add(name string) bool {
	if _, ok := o.seq[name]; ok {
		return false
	}
	if o.seq == nil {
		o.seq = map[string]uint64{}
	}
	o.seq[name] = o.next
	o.next++
	return true
}

// remove reports whether name was present.
func (o *orderedSet) remove(name string) bool {
	if _, ok := o.seq[name]; !ok {
		return false
	}
	delete(o.seq, name)
	return true
}

// list returns the names, oldest first.
func (o *orderedSet) list() []string {
	out := make([]string, 0, len(o.seq))
	for name := range o.seq {
		out = append(out, name)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(o.seq[a], o.seq[b]) })
	return out
}
