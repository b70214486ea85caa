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

// checkBox is a check box that leaves the window's function keys working
// while it has the focus (a tapped check box takes the focus).
type checkBox struct {
	widget.Check
	shell *Window
}

func newCheck(s *Window, label string, changed func(bool)) *checkBox {
	c := &checkBox{shell: s}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

// TypedKey runs the window's function keys.
func (c *checkBox) TypedKey(k *fyne.KeyEvent) {
	if c.shell != nil && c.shell.deskV != nil && c.shell.deskV.shortcut(k.Name) {
		return
	}
	c.Check.TypedKey(k)
}

// selectBox is a drop-down that leaves the window's function keys working
// while it has the focus (a tapped drop-down takes the focus); Left and
// Right step through its options.
type selectBox struct {
	widget.Select
	shell *Window
}

func newSelect(s *Window, options []string, changed func(string)) *selectBox {
	b := &selectBox{shell: s}
	b.Options, b.OnChanged = options, changed
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey runs the window's function keys, and the drop-down's own keys
// otherwise.
func (b *selectBox) TypedKey(k *fyne.KeyEvent) {
	if b.shell != nil && b.shell.deskV != nil && b.shell.deskV.shortcut(k.Name) {
		return
	}
	b.Select.TypedKey(k)
}

// keyButton is a dialog button the keyboard can drive: Return presses it,
// Escape presses cancel (when set), and the window's function keys still
// work while it has the focus.
type keyButton struct {
	widget.Button
	shell  *Window
	cancel func()
}

func newKeyButton(s *Window, label string, tapped, cancel func()) *keyButton {
	b := &keyButton{shell: s, cancel: cancel}
	b.Text, b.OnTapped = label, tapped
	b.ExtendBaseWidget(b)
	return b
}

// TypedKey presses the button on Return, cancels on Escape, and runs the
// window's function keys.
func (b *keyButton) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		b.Tapped(nil)
	case fyne.KeyEscape:
		if b.cancel != nil {
			b.cancel()
		}
	default:
		if b.shell != nil && b.shell.deskV != nil && b.shell.deskV.shortcut(k.Name) {
			return
		}
		b.Button.TypedKey(k)
	}
}
