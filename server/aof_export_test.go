package server

import (
	"os"
	"strings"
)

// AOFInfo returns the AOF fields of INFO persistence.
func (s *Server) AOFInfo() string {
	var b strings.Builder
	s.aofInfo(&b)
	return b.String()
}

// BreakAOFWrites makes writes to the AOF fail (the file is swapped for a
// read-only handle) until the returned function is called.
func (s *Server) BreakAOFWrites() (restore func()) {
	a := &s.aof
	a.wmu.Lock()
	defer a.wmu.Unlock()
	good := a.file
	ro, err := os.Open(good.Name())
	if err != nil {
		panic(err)
	}
	a.file = ro
	return func() {
		a.wmu.Lock()
		defer a.wmu.Unlock()
		a.file = good
		ro.Close()
	}
}

// SetAOFLoading pretends the dataset is loading.
func (s *Server) SetAOFLoading(on bool) {
	if on {
		s.aof.refuse.Or(refuseLoading)
	} else {
		s.aof.refuse.And(^uint32(refuseLoading))
	}
}
