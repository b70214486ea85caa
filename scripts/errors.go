package scripts

import (
	"fmt"
	"sort"
	"strings"
)

// PackError is one problem in a script pack, located at a line of its file
// and worded for the trainer who edits it.
type PackError struct {
	File string // the pack's file name as given to Parse or LoadFile
	Line int    // 1-based; 0 when the problem has no single line (a missing section)
	Msg  string
}

// Error returns "file:line: msg".
func (e *PackError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// PackErrors is every problem found in a pack, in line order. Parse and
// LoadFile return it (as error) when a pack is not usable.
type PackErrors []*PackError

// Error joins the problems, one per line.
func (es PackErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es PackErrors) sorted() PackErrors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].File != es[j].File {
			return es[i].File < es[j].File
		}
		return es[i].Line < es[j].Line
	})
	return es
}
