// Package assets holds the files compiled into the desk: the application
// icon and a CJK-capable font, so Chinese renders on a machine that has no
// CJK font installed. It imports nothing; agent/ui wraps the bytes as Fyne
// resources.
package assets

import _ "embed"

// Font is a TrueType subset of WenQuanYi Micro Hei covering GB2312, Big5
// level 1 and every character in this repository (see tools/font/subset.sh).
// Licence: Apache-2.0, text in FONT-LICENSE.txt.
//
//go:embed font.ttf
var Font []byte

// FontLicense is the licence text of Font, shown in the About panel.
//
//go:embed FONT-LICENSE.txt
var FontLicense string

// Icon is the application icon, a 512×512 PNG.
//
//go:embed icon.png
var Icon []byte
