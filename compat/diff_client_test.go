package compat

import "testing"

// CLIENT REPLY, NO-EVICT, GETREDIR, PAUSE/UNPAUSE compared with real Redis.
// Steps whose reply Redis suppresses read nothing (frames(-1)); the next
// step's reply proves nothing was left behind.
func clientCases() []dcase {
	silent := func(line string) step { return cmd(line).frames(-1) }
	return []dcase{
		tc("client reply skip",
			silent("CLIENT REPLY SKIP"), silent("SET a 1"), "GET a"),
		tc("client reply off and on",
			silent("CLIENT REPLY OFF"), silent("SET b 2"), silent("GET b"), silent("CLIENT REPLY SKIP"),
			"CLIENT REPLY ON", "GET b"),
		tc("client reply errors", "CLIENT REPLY foo", "CLIENT REPLY", "CLIENT REPLY on off"),
		tc("client no-evict", "CLIENT NO-EVICT on", "CLIENT NO-EVICT OFF", "CLIENT NO-EVICT maybe", "CLIENT NO-EVICT"),
		tc("client getredir", "CLIENT GETREDIR", "CLIENT GETREDIR x"),
		tc("client pause errors",
			"CLIENT PAUSE", "CLIENT PAUSE abc", "CLIENT PAUSE -1", "CLIENT PAUSE 10 foo", "CLIENT PAUSE 10 write extra"),
		tc("client pause and unpause",
			"CLIENT PAUSE 0", "CLIENT PAUSE 100000 WRITE", "GET x", "CLIENT UNPAUSE", "SET x 1", "GET x"),
	}
}

func TestDiffClient(t *testing.T) {
	t.Parallel()
	diff(t, bothProtocols(clientCases()))
}
