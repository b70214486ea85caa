package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// field is the window's text entry. Unlike a plain Fyne entry it leaves
// the window's keys working while it has the focus: the call controls'
// function keys (F2 answer, F3 hang up…) and the window's shortcuts (Alt+1…
// tabs, Ctrl+S save) reach the desk instead of being swallowed by the
// entry, and Tab always moves on to the next field (a multi-line field
// keeps Enter for new lines).
type field struct {
	widget.Entry
	shell *Window
}

func newField(s *Window, placeholder string) *field {
	f := &field{shell: s}
	f.ExtendBaseWidget(f)
	f.SetPlaceHolder(placeholder)
	return f
}

func newArea(s *Window, placeholder string, rows int) *field {
	f := newField(s, placeholder)
	f.MultiLine = true
	f.Wrapping = fyne.TextWrapWord
	f.SetMinRowsVisible(rows)
	return f
}

// AcceptsTab is false: Tab moves the focus on, also from a multi-line field.
func (f *field) AcceptsTab() bool { return false }

// TypedKey runs the window's function keys, and edits text otherwise.
func (f *field) TypedKey(k *fyne.KeyEvent) {
	if f.shell != nil && f.shell.deskV != nil && f.shell.deskV.shortcut(k.Name) {
		return
	}
	f.Entry.TypedKey(k)
}

// TypedShortcut runs the window's shortcuts, and the entry's own (copy,
// paste, undo…) otherwise.
func (f *field) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && f.shell != nil && f.shell.shortcut(cs) {
		return
	}
	f.Entry.TypedShortcut(s)
}
