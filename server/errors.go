package server

import "fmt"

// Error replies, spelled exactly as Redis 7.0 spells them.
const (
	errNoAuth         = "NOAUTH Authentication required."
	errWrongPass      = "WRONGPASS invalid username-password pair or user is disabled."
	errNoPassSet      = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errWrongType      = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errSyntax         = "ERR syntax error"
	errNotInt         = "ERR value is not an integer or out of range"
	errNotFloat       = "ERR value is not a valid float"
	errOverflow       = "ERR increment or decrement would overflow"
	errIncrFloatNaN   = "ERR increment would produce NaN or Infinity"
	errDBIndex        = "ERR DB index is out of range"
	errNoSuchKey      = "ERR no such key"
	errSameObject     = "ERR source and destination objects are the same"
	errStringTooLong  = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errOffsetRange    = "ERR offset is out of range"
	errNotIntOrRange  = "ERR value is out of range, must be positive"
	errInvalidCursor  = "ERR invalid cursor"
	errProtoVersion   = "NOPROTO unsupported protocol version"
	errDebugDisabled  = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
	errNXXXGTLT       = "ERR NX and XX, GT or LT options at the same time are not compatible"
	errGTLTNX         = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errTimeoutNotNum  = "ERR timeout is not a float or out of range"
	errTimeoutNeg     = "ERR timeout is negative"
	errCountRange     = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errKeepTTLWithExp = "ERR syntax error"
	// errReplyTooLarge has no Redis equivalent: Redis would exhaust memory.
	errReplyTooLarge = "ERR reply exceeds the maximum reply size"
)

// errProtectedMode is written, as raw protocol, to a client refused by
// protected-mode.
const errProtectedMode = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

func wrongArgs(name string) string {
	return fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError, for a
// subcommand given the wrong arguments where no arity rule caught it.
func subcommandSyntaxError(args [][]byte) string {
	return fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
		cString(args[1]), upper(string(cString(args[0]))))
}

func invalidExpire(cmd string) string {
	return fmt.Sprintf("ERR invalid expire time in '%s' command", cmd)
}
