package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// RedisVersion is the Redis release whose behaviour Kioku reproduces; it
// appears in fatal config errors and in VersionLine.
const RedisVersion = "7.0.15"

// FatalError is a configuration error that redis-server prints on stderr
// before exiting with status 1. Error() returns that text byte for byte,
// e.g. "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the
// configuration file, at line 2\n>>> 'port \"abc\"'\nargument couldn't be
// parsed into an integer\n".
type FatalError struct {
	Line    int    // 1-based line in the text being loaded; 0 for whole-file checks
	Text    string // the offending line, trimmed
	Message string
}

func (e *FatalError) Error() string {
	var b strings.Builder
	b.WriteString("\n*** FATAL CONFIG FILE ERROR (Redis " + RedisVersion + ") ***\n")
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n>>> '%s'\n", e.Line, e.Text)
	}
	b.WriteString(e.Message + "\n")
	return b.String()
}

// OpenError is a config (or include) file that cannot be opened.
// redis-server reports it through its logger, not the FATAL banner, and
// exits with status 1; Error() is the log message.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("Fatal error, can't open config file '%s': %s", e.Path, strerror(e.Err))
}

func (e *OpenError) Unwrap() error { return e.Err }

// Directive is a config line that is not a parameter: rename-command,
// user, loadmodule, or a module configuration ("module.name value").
type Directive struct {
	Name string   // lower-case directive or module config name
	Args []string // arguments after the name
	File string   // file the line was read from; "" for options and stdin
	Line int      // 1-based line number in that text
}

// LoadOptions customise ParseArgsWith, LoadFileWith and LoadStringWith.
type LoadOptions struct {
	// Stdin is read when the command line asks for "-"; nil means os.Stdin.
	Stdin io.Reader
	// Directive, when set, is called for each directive as it is read; a
	// returned error aborts loading with a FatalError whose message is the
	// error text (e.g. "No such command in rename-command").
	Directive func(Directive) error
	// fs replaces the file system in tests and fuzzing.
	fs fileSystem
}

// deprecatedDirectives are accepted and ignored with exactly one argument.
var deprecatedDirectives = map[string]bool{
	"list-max-ziplist-entries": true,
	"list-max-ziplist-value":   true,
	"lua-replicate-commands":   true,
}

// maxIncludeDepth stops include loops; Redis itself would overflow its
// stack and crash.
const maxIncludeDepth = 64

// ParseArgs parses a redis-server command line (without the program name):
// an optional config file path first (anything not starting with '-'),
// then "--name value [value ...]" options and "-" to read stdin. Options
// are turned into config lines appended after the file and stdin content,
// exactly as redis-server does, so errors report the same line numbers.
// With no arguments the defaults are returned. --help/--version are the
// caller's business.
func ParseArgs(args []string) (*Registry, error) { return ParseArgsWith(args, LoadOptions{}) }

// ParseArgsWith is ParseArgs with options.
func ParseArgsWith(args []string, opts LoadOptions) (*Registry, error) {
	r := New()
	if len(args) == 0 {
		return r, nil
	}
	r.setMu.Lock()
	defer r.setMu.Unlock()
	cl := parseCommandLine(args)
	l := r.newLoader(opts)
	var content strings.Builder
	if cl.hasFile {
		path, err := absolutePath(cl.file)
		if err != nil {
			return nil, &OpenError{Path: cl.file, Err: err}
		}
		data, err := l.readConfig(path)
		if err != nil {
			return nil, err
		}
		content.WriteString(data)
		r.configFile = path
	}
	if cl.stdin {
		in := opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		content.WriteString(fgetsConcat(data))
	}
	content.WriteString("\n")
	content.WriteString(cl.options)
	if err := l.loadString(content.String(), ""); err != nil {
		return nil, err
	}
	r.commit(l)
	return r, nil
}

// commandLine is what redis-server's main() extracts from argv.
type commandLine struct {
	file    string
	hasFile bool
	stdin   bool
	options string // "name value ..." lines
}

// parseCommandLine follows main() in server.c, including its special
// cases: "--save" without a value (before another option or last) means
// `save ""`, an option may carry its value in the same argument
// ("--port 6380"), and values are quoted with Repr.
func parseCommandLine(args []string) commandLine {
	var cl commandLine
	j := 0
	if !strings.HasPrefix(args[0], "-") {
		cl.file, cl.hasFile = args[0], true
		j = 1
	}
	var opts strings.Builder
	handledLast := true // the previous option already has a value
	isOpt := func(s string) bool { return strings.HasPrefix(s, "--") }
	for ; j < len(args); j++ {
		a := args[j]
		last := j == len(args)-1
		switch {
		case a == "-" && (j == 0 || last):
			cl.stdin = true
		case handledLast && isOpt(a):
			if opts.Len() > 0 {
				opts.WriteString("\n")
			}
			opts.WriteString(a[2:] + " ")
			if words, ok := SplitArgs(a); ok && len(words) == 1 {
				handledLast = false
				switch {
				case strings.EqualFold(a, "--save") && !last && isOpt(args[j+1]):
					opts.WriteString(`""`)
					handledLast = true
				case strings.EqualFold(a, "--save") && last:
					opts.WriteString(`""`)
				case strings.EqualFold(a, "--sentinel") && !last && isOpt(args[j+1]):
					handledLast = true
				}
			} else {
				handledLast = true // "--port 6380" in one argument
			}
		default:
			opts.WriteString(Repr(a) + " ")
			handledLast = true
		}
	}
	cl.options = opts.String()
	return cl
}

// absolutePath is Redis's getAbsolutePath: trimmed, joined to the working
// directory, with leading "../" folded into it (nothing else is cleaned).
func absolutePath(name string) (string, error) {
	rel := strings.Trim(name, " \r\n\t")
	if strings.HasPrefix(rel, "/") {
		return rel, nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(cwd, "/") {
		cwd += "/"
	}
	for strings.HasPrefix(rel, "../") {
		rel = rel[3:]
		if len(cwd) > 1 {
			i := strings.LastIndexByte(cwd[:len(cwd)-1], '/')
			cwd = cwd[:i+1]
		}
	}
	return cwd + rel, nil
}

// LoadFile loads a config file into the registry as redis-server would at
// startup (immutable parameters may be set) and records it as the config
// file. On error nothing changes.
func (r *Registry) LoadFile(path string) error { return r.LoadFileWith(path, LoadOptions{}) }

// LoadFileWith is LoadFile with options.
func (r *Registry) LoadFileWith(path string, opts LoadOptions) error {
	r.setMu.Lock()
	defer r.setMu.Unlock()
	abs, err := absolutePath(path)
	if err != nil {
		return &OpenError{Path: path, Err: err}
	}
	l := r.newLoader(opts)
	data, err := l.readConfig(abs)
	if err != nil {
		return err
	}
	if err := l.loadString(data, abs); err != nil {
		return err
	}
	r.commit(l)
	r.mu.Lock()
	r.configFile = abs
	r.mu.Unlock()
	return nil
}

// LoadString loads config text (one "name value" per line) like a config
// file. On error nothing changes.
func (r *Registry) LoadString(content string) error {
	return r.LoadStringWith(content, LoadOptions{})
}

// LoadStringWith is LoadString with options.
func (r *Registry) LoadStringWith(content string, opts LoadOptions) error {
	r.setMu.Lock()
	defer r.setMu.Unlock()
	l := r.newLoader(opts)
	if err := l.loadString(content, ""); err != nil {
		return err
	}
	r.commit(l)
	return nil
}

// loader holds the state Redis keeps in globals while reading config text.
type loader struct {
	r          *Registry
	vals       []value
	directives []Directive
	opts       LoadOptions
	fs         fileSystem
	reading    bool // reading_config_file: true while a loadString runs
	saveLoaded bool // a "save" line already replaced the defaults
	depth      int
}

func (r *Registry) newLoader(opts LoadOptions) *loader {
	r.mu.RLock()
	vals := slices.Clone(r.vals)
	r.mu.RUnlock()
	fs := opts.fs
	if fs == nil {
		fs = osFS{}
	}
	return &loader{r: r, vals: vals, opts: opts, fs: fs}
}

func (r *Registry) commit(l *loader) {
	r.mu.Lock()
	r.vals = l.vals
	r.directives = append(r.directives, l.directives...)
	r.mu.Unlock()
}

// loadString is loadServerConfigFromString. file names the source for
// directives; line numbers restart for every file.
func (l *loader) loadString(config, file string) error {
	l.reading = true
	if i := strings.IndexByte(config, 0); i >= 0 {
		config = config[:i] // Redis treats the text as a C string
	}
	for i, raw := range strings.Split(config, "\n") {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		if msg, err := l.loadLine(line, file, i+1); err != nil {
			return err
		} else if msg != "" {
			return &FatalError{Line: i + 1, Text: line, Message: msg}
		}
	}
	if err := l.finalChecks(); err != nil {
		return err
	}
	l.reading = false
	return nil
}

// loadLine applies one non-blank line. It returns a FATAL message for
// errors about this line, or an error that is already complete (from an
// included file or an unreadable include).
func (l *loader) loadLine(line, file string, lineno int) (string, error) {
	argv, ok := SplitArgs(line)
	if !ok {
		return "Unbalanced quotes in configuration line", nil
	}
	if len(argv) == 0 {
		return "", nil
	}
	name := strings.ToLower(argv[0])
	if e := byName[name]; e != nil {
		p := e.p
		if !p.has(multiArg) && len(argv) != 2 {
			return "wrong number of arguments", nil
		}
		args := argv[1:]
		if p.has(multiArg) && len(args) == 1 && args[0] != "" {
			// Redis 7.0.1+ re-splits a lone argument so that
			// `--save "3600 1"` works; unbalanced quotes give no argument.
			args, _ = SplitArgs(args[0])
		}
		st := &setState{fromFile: l.reading, saveLoaded: &l.saveLoaded, fs: l.fs}
		v, msg := p.set(args, l.vals[p.idx], st)
		if msg == "" {
			l.vals[p.idx] = v
		}
		return msg, nil
	}
	if deprecatedDirectives[name] && len(argv) == 2 {
		return "", nil
	}
	switch {
	case name == "include" && len(argv) == 2:
		if l.depth >= maxIncludeDepth {
			return "include nesting is too deep", nil
		}
		return "", l.include(argv[1])
	case name == "rename-command" && len(argv) == 3,
		name == "user" && len(argv) >= 2,
		name == "loadmodule" && len(argv) >= 2:
		return l.directive(Directive{Name: name, Args: argv[1:], File: file, Line: lineno}), nil
	case strings.Contains(name, "."):
		if len(argv) != 2 {
			return "Module config specified without value", nil
		}
		return l.directive(Directive{Name: name, Args: argv[1:], File: file, Line: lineno}), nil
	case name == "sentinel":
		// A bare "sentinel" is the mode switch main() already handled.
		if len(argv) != 1 {
			return "sentinel directive while not in sentinel mode", nil
		}
		return "", nil
	}
	return "Bad directive or wrong number of arguments", nil
}

func (l *loader) directive(d Directive) string {
	if l.opts.Directive != nil {
		if err := l.opts.Directive(d); err != nil {
			return err.Error()
		}
	}
	l.directives = append(l.directives, d)
	return ""
}

func (l *loader) include(path string) error {
	data, err := l.readConfig(l.resolve(path))
	if err != nil {
		var oe *OpenError
		if errors.As(err, &oe) && !strings.ContainsAny(path, "*?[") {
			oe.Path = path // Redis reports the name as written
		}
		return err
	}
	l.depth++
	defer func() { l.depth-- }()
	return l.loadString(data, path)
}

// finalChecks are the checks Redis runs after each loaded text.
func (l *loader) finalChecks() error {
	if lf := l.get("logfile"); lf != "" {
		if err := l.fs.TouchLog(l.resolve(lf)); err != nil {
			return &FatalError{Message: "Can't open the log file: " + strerror(err)}
		}
	}
	if l.get("cluster-enabled") == "yes" && l.get("replicaof") != "" {
		return &FatalError{Message: "replicaof directive not allowed in cluster mode"}
	}
	hz := mustLookup("hz")
	l.vals[hz.idx] = hz.numValue(clampHz(l.vals[hz.idx].n))
	return nil
}

func (l *loader) get(name string) string { return l.vals[mustLookup(name).idx].s }

// resolve interprets a relative path against the configured dir, where
// Redis's process would be after a "dir" line (it chdir()s).
func (l *loader) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(l.get("dir"), path)
}

// readConfig reads a config file, or every file matching it when the name
// has glob characters (no match is not an error). Contents are
// concatenated the way Redis's fgets loop does.
func (l *loader) readConfig(path string) (string, error) {
	files := []string{path}
	if strings.ContainsAny(path, "*?[") {
		m, err := l.fs.Glob(path)
		if err != nil {
			return "", nil
		}
		files = m
	}
	var b strings.Builder
	for _, f := range files {
		data, err := l.fs.ReadFile(f)
		if err != nil {
			return "", &OpenError{Path: f, Err: err}
		}
		b.WriteString(fgetsConcat(data))
	}
	return b.String(), nil
}

// fgetsConcat reproduces Redis reading a file with fgets into a 1024-byte
// buffer and appending each chunk as a C string: a NUL byte drops the rest
// of its chunk.
func fgetsConcat(data []byte) string {
	var b strings.Builder
	for len(data) > 0 {
		n := min(len(data), 1024)
		if i := slices.Index(data[:n], '\n'); i >= 0 {
			n = i + 1
		}
		chunk := data[:n]
		if i := slices.Index(chunk, 0); i >= 0 {
			chunk = chunk[:i]
		}
		b.Write(chunk)
		data = data[n:]
	}
	return b.String()
}

// fileSystem is what loading touches on disk.
type fileSystem interface {
	ReadFile(path string) ([]byte, error) // a directory reads as empty, like fopen+fgets
	Glob(pattern string) ([]string, error)
	ResolveDir(cur, path string) (string, error)
	TouchLog(path string) error
}

type osFS struct{}

func (osFS) ReadFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, syscall.EISDIR) {
		return nil, nil
	}
	return data, err
}

func (osFS) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// ResolveDir checks what chdir would and returns what getcwd would report.
func (osFS) ResolveDir(cur, path string) (string, error) {
	if path == "" {
		return "", syscall.ENOENT
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(cur, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", syscall.ENOTDIR
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	return filepath.Clean(path), nil
}

// TouchLog opens the log file for appending, as Redis does to fail early.
func (osFS) TouchLog(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// strerror renders an OS error like C's strerror ("No such file or
// directory").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}
