package compat

// knownIncompatibilities are mismatches that were found, reported and not
// fixed yet, keyed by "case name: command" exactly as failure messages
// print them (the RESP3 variant of a case is "name/resp3"). A known
// mismatch is logged instead of failing the test; COMPAT_STRICT=1 makes it
// fail again. An entry that no longer reproduces fails the test, so the
// list can only shrink. Keep it empty whenever possible.
var knownIncompatibilities = map[string]string{}
