package starter

import (
	"context"
	"encoding/json"
	"io"

	"github.com/spf13/cobra"
)

// The output formats of every command that prints results (-o), named as
// the Temporal CLI names them.
const (
	FormatText  = "text"  // for a person: lines and tables
	FormatJSON  = "json"  // one JSON document: an object, or an array for a list
	FormatJSONL = "jsonl" // one JSON object per line, for streams and jq
)

// output is a command's -o flag and its --json alias.
type output struct {
	format string
	json   bool
}

// WithOutput gives cmd -o text|json|jsonl and --json (the same as -o json),
// and runs run with the format asked for, checked before any work.
func WithOutput(cmd *cobra.Command, run func(ctx context.Context, args []string, format string) error) *cobra.Command {
	o := &output{}
	f := cmd.Flags()
	f.StringVarP(&o.format, "output", "o", FormatText, "text, json (one document) or jsonl (one object per line)")
	f.BoolVar(&o.json, "json", false, "the same as -o json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{FormatText, FormatJSON, FormatJSONL}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		format, err := o.Format()
		if err != nil {
			return err
		}
		return run(cmd.Context(), args, format)
	}
	return cmd
}

// Format is the format asked for; a command checks it before its work.
func (o *output) Format() (string, error) {
	switch {
	case o.json && o.format != FormatText && o.format != FormatJSON:
		return "", Usagef("--json is -o json; it cannot go with -o %s", o.format)
	case o.json:
		return FormatJSON, nil
	case o.format == FormatText || o.format == FormatJSON || o.format == FormatJSONL:
		return o.format, nil
	}
	return "", Usagef("-o must be text, json or jsonl, got %q", o.format)
}

// machine reports whether the format is JSON of either kind.
func machine(format string) bool { return format != FormatText }

// WriteJSON prints one result in a JSON format (json and jsonl are the
// same for one object).
func WriteJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// writeList prints rows as a JSON array (json) or one object per line
// (jsonl). An empty list is [] or nothing.
func writeList[T any](w io.Writer, format string, rows []T) error {
	enc := json.NewEncoder(w)
	if format == FormatJSON {
		if rows == nil {
			rows = []T{}
		}
		return enc.Encode(rows)
	}
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
