package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"agentdesk/assets"
)

// fontResource is the bundled CJK font as a Fyne resource.
var fontResource = fyne.NewStaticResource("font.ttf", assets.Font)

// IconResource is the application icon as a Fyne resource.
var IconResource = fyne.NewStaticResource("icon.png", assets.Icon)

// Variant chooses the theme's colours.
type Variant int

// Theme variants: follow the system, or force light or dark.
const (
	VariantSystem Variant = iota
	VariantLight
	VariantDark
)

// String names the variant as stored in settings.
func (v Variant) String() string {
	switch v {
	case VariantLight:
		return "light"
	case VariantDark:
		return "dark"
	}
	return "system"
}

// ParseVariant is the inverse of String; anything else is VariantSystem.
func ParseVariant(s string) Variant {
	switch s {
	case "light":
		return VariantLight
	case "dark":
		return VariantDark
	}
	return VariantSystem
}

// Theme is the desk's look: the bundled CJK font for every proportional
// style (so Chinese renders on a machine without a CJK font) and slightly
// larger text and controls than Fyne's defaults, for eyes on a screen all
// shift long.
type Theme struct {
	Variant Variant
}

var _ fyne.Theme = (*Theme)(nil)

// Color forces the light or dark palette when the agent chose one.
func (t *Theme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch t.Variant {
	case VariantLight:
		v = theme.VariantLight
	case VariantDark:
		v = theme.VariantDark
	}
	return theme.DefaultTheme().Color(n, v)
}

// Font returns the CJK font; monospace (DTMF digits, pack editor line
// numbers) keeps Fyne's, which has the digits and Latin a code editor needs.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return theme.DefaultTheme().Font(s)
	}
	return fontResource
}

// Icon is Fyne's.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(n)
}

// Size enlarges text and touch targets a little.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 15
	case theme.SizeNameHeadingText:
		return 26
	case theme.SizeNameSubHeadingText:
		return 19
	case theme.SizeNameCaptionText:
		return 12
	case theme.SizeNameInputBorder:
		return 1.5
	}
	return theme.DefaultTheme().Size(n)
}
