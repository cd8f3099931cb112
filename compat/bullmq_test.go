package compat

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BullMQ, the heaviest real user of Lua scripts, run against Kioku by its
// own Node client: compat/clients/node/bullmq.test.mjs, installed there by
// `npm ci` from the committed lock file. The test is skipped where Node or
// the installed packages are missing.

const nodeSuiteDir = "clients/node"

func TestBullMQ(t *testing.T) {
	node := requireNodeSuite(t)
	tg := startKioku(t)
	_, port, ok := strings.Cut(tg.addr, ":")
	if !ok {
		t.Fatalf("address without a port: %q", tg.addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=1", "--test-reporter=tap", "bullmq.test.mjs")
	cmd.Dir = nodeSuiteDir
	cmd.Env = append(os.Environ(), "KIOKU_PORT="+port)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("BullMQ suite failed against %s (%v):\n%s", tg.name, err, out)
	}
	t.Logf("BullMQ suite passed against %s:\n%s", tg.name, summaryLines(string(out)))
}

// requireNodeSuite returns the node binary, or skips the test when the
// suite cannot run here.
func requireNodeSuite(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("BullMQ suite skipped in -short mode")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(nodeSuiteDir, "node_modules", "bullmq")); err != nil {
		t.Skipf("BullMQ is not installed: run `npm ci` in compat/%s", nodeSuiteDir)
	}
	return node
}

// summaryLines keeps the TAP lines naming each test and the totals.
func summaryLines(tap string) string {
	var keep []string
	for _, line := range strings.Split(tap, "\n") {
		if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "not ok ") || strings.HasPrefix(line, "# pass") || strings.HasPrefix(line, "# fail") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
