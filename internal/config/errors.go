package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a config file.
type Error struct {
	// File is the path of the config file as it was given to Load or Parse.
	File string
	// Line is the 1-based line the problem is on; 0 when it has none.
	Line int
	// Field is the dotted path of the field ("integrations[0].config.tenant_id");
	// empty for problems with the file as a whole.
	Field string
	// Msg says what is wrong. It never contains a secret's value.
	Msg string
}

// Error formats the problem as "FILE:LINE: FIELD: MSG", leaving out the
// parts it does not have.
func (e Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a config file, in line order. Parse and
// Load return it as a *Errors.
type Errors []Error

// Error prints one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(*e))
	for i, err := range *e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// collector gathers the problems of one file.
type collector struct {
	file string
	errs Errors
}

func (c *collector) add(line int, field, format string, args ...any) {
	c.errs = append(c.errs, Error{File: c.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted by line (stable, so problems on one line
// keep the order they were found in), or nil if there are none.
func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	errs := slices.Clone(c.errs)
	slices.SortStableFunc(errs, func(a, b Error) int { return cmp.Compare(a.Line, b.Line) })
	return &errs
}
