package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

// Each verb's help lists its own flags and the few every verb shares, not
// the other verbs'.
func TestEachVerbsHelpListsOnlyItsFlags(t *testing.T) {
	own := map[string][]string{
		"up":     {"--seed", "--bench-direct"},
		"demo":   {"--seed", "--exit"},
		"bench":  {"--door", "--door-n", "--builds-ab", "--base-bin"},
		"chaos":  {"--n", "--kill-every", "--long-down", "--step-deadline", "--faults"},
		"matrix": {"--modes", "--ops", "--faults", "--parallel"},
	}
	for verb, flags := range own {
		var out bytes.Buffer
		root := newRoot()
		root.SetOut(&out)
		root.SetArgs([]string{verb, "--help"})
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("stack %s --help: %v", verb, err)
		}
		help := out.String()
		for _, f := range append(flags, "--bin-dir", "--data-dir", "--topology") {
			if !strings.Contains(help, "  "+f+" ") {
				t.Errorf("stack %s --help does not list %s", verb, f)
			}
		}
		for other, theirs := range own {
			for _, f := range theirs {
				if other != verb && !slices.Contains(flags, f) && strings.Contains(help, "  "+f+" ") {
					t.Errorf("stack %s --help lists %s's %s", verb, other, f)
				}
			}
		}
	}
}

// Bad input is exit 2, before any stack starts.
func TestBadInputIsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"frob"}, {"up", "--nope"}, {"chaos", "extra"}, {"chaos", "--n", "0"},
		{"up", "--topology", "moon"}, {"up", "--seed", "lots"}, {"bench", "--builds-ab", "2"}, {"bench", "--door", "--door-modes", "fast"},
		{"matrix", "--ops", "teleport"}} {
		if code := run(context.Background(), args); code != exitUsage {
			t.Errorf("stack %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
	}
}
