package process

import (
	"fmt"
	"runtime/debug"
)

// version is the build's name, set by the Makefile and the Dockerfile
// with -ldflags -X (git describe); empty in a plain go build.
var version string

// Version is what --version prints for every binary: the version the build
// was given (git describe), else the module's version and the commit the
// go command stamped, and the Go that built it.
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	if version != "" {
		return fmt.Sprintf("%s, %s", version, info.GoVersion)
	}
	v, commit, dirty, when := info.Main.Version, "", false, ""
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		case "vcs.time":
			when = s.Value
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	out := v
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		out += " " + commit
		if dirty {
			out += "+dirty"
		}
		if when != "" {
			out += " (" + when + ")"
		}
	}
	return fmt.Sprintf("%s, %s", out, info.GoVersion)
}
