package main

import "github.com/lucid-nlp/lucid/cli/auditcli"

// termSafe escapes what could drive a terminal or reorder a line
// (auditcli.TermSafe).
func termSafe(s string) string { return auditcli.TermSafe(s) }
