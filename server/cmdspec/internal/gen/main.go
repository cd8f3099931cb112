// Command gen writes commands.json, Kioku's command table, from what a real
// redis-server answers to COMMAND INFO and COMMAND DOCS.
//
// Usage (from server/cmdspec, via go generate):
//
//	go run ./internal/gen [-addr host:port] [-server /usr/bin/redis-server] [-out commands.json]
//
// Without -addr it starts redis-server on a free loopback port and stops it
// when done; a server given with -addr must keep enable-debug-command and
// enable-module-command at their default ("no"), which is how the hidden
// "protected" flag is detected. The file holds one JSON object per command or subcommand, one a
// line, sorted by name, each subcommand right after its container. A
// command's fields are COMMAND INFO's, named; "doc" is its COMMAND DOCS map
// with the same keys Redis uses (subcommand docs sit on their own lines).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kioku-db/kioku/server/cmdspec/internal/respval"
)

func main() {
	addr := flag.String("addr", "", "address of a running redis-server (default: start one)")
	server := flag.String("server", "/usr/bin/redis-server", "redis-server binary to start")
	out := flag.String("out", "commands.json", "output file")
	flag.Parse()
	if err := run(*addr, *server, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(addr, server, out string) error {
	if addr == "" {
		stop, a, err := startRedis(server)
		if err != nil {
			return err
		}
		defer stop()
		addr = a
	}
	c, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.conn.Close()
	data, err := generate(c)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644)
}

// startRedis runs a throwaway redis-server with Redis's defaults on a free
// loopback port (no persistence, so it leaves no files behind).
func startRedis(bin string) (stop func(), addr string, err error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "cmdspec-gen")
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return stop, addr, nil
		}
	}
	stop()
	return nil, "", errors.New("redis-server did not start")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type client struct {
	conn net.Conn
	r    *bufio.Reader
}

func dial(addr string) (*client, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &client{conn: conn, r: bufio.NewReaderSize(conn, 1<<16)}, nil
}

// do sends one command and reads its reply.
func (c *client) do(args ...string) (respval.Value, error) {
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	if _, err := c.conn.Write(b); err != nil {
		return respval.Value{}, err
	}
	return respval.Read(c.r)
}

// generate reads the whole command table and renders the file. RESP3 is
// used so that maps and sets arrive typed and are checked as such.
func generate(c *client) ([]byte, error) {
	hello, err := c.do("HELLO", "3")
	if err != nil {
		return nil, err
	}
	if v, ok := hello.Get("version"); ok {
		fmt.Fprintln(os.Stderr, "gen: reading the command table of redis", v.Str)
	}
	list, err := c.do("COMMAND", "LIST")
	if err != nil {
		return nil, err
	}
	// COMMAND LIST names subcommands too ("config|get"); they come with
	// their containers' COMMAND INFO.
	var names []string
	for _, n := range list.Strings() {
		if !strings.Contains(n, "|") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	infos, err := c.do(append([]string{"COMMAND", "INFO"}, names...)...)
	if err != nil {
		return nil, err
	}
	docs, err := c.do(append([]string{"COMMAND", "DOCS"}, names...)...)
	if err != nil {
		return nil, err
	}
	if len(infos.Elems) != len(names) || docs.Kind != '%' {
		return nil, errors.New("unexpected COMMAND INFO/DOCS reply")
	}
	docByName := map[string]respval.Value{}
	for _, p := range docs.Pairs() {
		docByName[p[0].Str] = p[1]
	}
	hidden := probeHiddenFlags(c)
	var buf bytes.Buffer
	buf.WriteString("[\n")
	first := true
	for _, info := range infos.Elems {
		if err := writeCommand(&buf, info, docByName, hidden, &first); err != nil {
			return nil, err
		}
	}
	buf.WriteString("\n]\n")
	return buf.Bytes(), nil
}

// protectedCandidates are the commands Redis 7.0 marks CMD_PROTECTED, a flag
// COMMAND INFO hides. With the default enable-debug-command and
// enable-module-command ("no") they answer "... command not allowed", which
// is how the generator confirms the flag instead of trusting this list.
var protectedCandidates = [][]string{
	{"DEBUG", "HELP"},
	{"MODULE", "LOAD", "/nonexistent/kioku-gen-probe.so"},
	{"MODULE", "LOADEX", "/nonexistent/kioku-gen-probe.so"},
	{"MODULE", "UNLOAD", "kioku-gen-probe"},
	{"MODULE", "LIST"},
	{"MODULE", "HELP"},
}

func probeHiddenFlags(c *client) map[string][]string {
	hidden := map[string][]string{}
	for _, args := range protectedCandidates {
		v, err := c.do(args...)
		if err != nil || v.Kind != '-' || !strings.Contains(v.Str, "command not allowed") {
			continue
		}
		name := strings.ToLower(args[0])
		if len(args) > 1 && args[0] == "MODULE" {
			name += "|" + strings.ToLower(args[1])
		}
		hidden[name] = append(hidden[name], "protected")
	}
	return hidden
}

// writeCommand writes a command's line, then its subcommands' lines.
func writeCommand(buf *bytes.Buffer, info respval.Value, docs map[string]respval.Value,
	hidden map[string][]string, first *bool) error {
	if info.Kind != '*' || len(info.Elems) != 10 {
		return fmt.Errorf("bad COMMAND INFO entry %q", info.Kind)
	}
	name := info.Elems[0].Str
	flags := info.Elems[2].Strings()
	if contains(flags, "module") {
		return nil // module commands are not part of Redis's own table
	}
	doc, ok := docs[name]
	if !ok {
		return fmt.Errorf("no COMMAND DOCS for %s", name)
	}
	line, subdocs, err := commandLine(info, doc, hidden[name])
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if !*first {
		buf.WriteString(",\n")
	}
	*first = false
	buf.Write(line)
	subs := append([]respval.Value(nil), info.Elems[9].Elems...)
	sort.Slice(subs, func(i, j int) bool { return subs[i].Elems[0].Str < subs[j].Elems[0].Str })
	for _, sub := range subs {
		if err := writeCommand(buf, sub, subdocs, hidden, first); err != nil {
			return err
		}
	}
	return nil
}

// commandLine renders one command as a JSON object, and returns the docs
// of its subcommands (which COMMAND DOCS nests in the container's map).
func commandLine(info, doc respval.Value, hidden []string) ([]byte, map[string]respval.Value, error) {
	e := info.Elems
	obj := object{
		{"name", e[0].Str},
		{"arity", mustInt(e[1])},
		{"flags", e[2].Strings()},
		{"first_key", mustInt(e[3])},
		{"last_key", mustInt(e[4])},
		{"step", mustInt(e[5])},
		{"acl_categories", e[6].Strings()},
		{"tips", e[7].Strings()},
		{"key_specs", convert(e[8])},
	}
	if len(hidden) > 0 {
		obj = append(obj, field{"hidden_flags", hidden})
	}
	var docObj object
	subdocs := map[string]respval.Value{}
	for _, p := range doc.Pairs() {
		if p[0].Str == "subcommands" {
			for _, sp := range p[1].Pairs() {
				subdocs[sp[0].Str] = sp[1]
			}
			continue
		}
		docObj = append(docObj, field{p[0].Str, convert(p[1])})
	}
	obj = append(obj, field{"doc", docObj})
	b, err := encode(obj)
	return b, subdocs, err
}

// convert turns a reply into JSON-ready data: maps keep their key order,
// sets and arrays become lists, integers numbers, strings strings.
func convert(v respval.Value) any {
	switch v.Kind {
	case '%':
		o := object{}
		for _, p := range v.Pairs() {
			o = append(o, field{p[0].Str, convert(p[1])})
		}
		return o
	case '*', '~':
		l := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			l[i] = convert(e)
		}
		return l
	case ':':
		return mustInt(v)
	}
	return v.Str
}

func mustInt(v respval.Value) int {
	n, err := v.Int()
	if err != nil {
		panic(err)
	}
	return n
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// object is a JSON object that keeps its keys in order, so the file reads
// like the Redis reply it came from.
type object []field

type field struct {
	k string
	v any
}

func (o object) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := encode(f.k)
		if err != nil {
			return nil, err
		}
		v, err := encode(f.v)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// encode marshals without HTML escaping: summaries contain '<' and '&'.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
