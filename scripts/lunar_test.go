package scripts

import (
	"testing"
	"time"
)

func TestLunarNewYear_KnownDates(t *testing.T) {
	tests := []struct {
		year int
		want string
	}{
		{2000, "2000-02-05"},
		{2001, "2001-01-24"},
		{2008, "2008-02-07"},
		{2012, "2012-01-23"},
		{2020, "2020-01-25"},
		{2021, "2021-02-12"},
		{2022, "2022-02-01"},
		{2023, "2023-01-22"},
		{2024, "2024-02-10"},
		{2025, "2025-01-29"},
		{2026, "2026-02-17"},
		{2027, "2027-02-06"},
		{2028, "2028-01-26"},
		{2030, "2030-02-03"},
	}
	for _, tt := range tests {
		got, err := LunarNewYear(tt.year)
		if err != nil {
			t.Fatalf("LunarNewYear(%d): %v", tt.year, err)
		}
		if got.String() != tt.want {
			t.Errorf("LunarNewYear(%d) = %s, want %s", tt.year, got, tt.want)
		}
	}
}

func TestMidAutumn_KnownDates(t *testing.T) {
	tests := []struct {
		year int
		want string
	}{
		{2008, "2008-09-14"},
		{2020, "2020-10-01"},
		{2021, "2021-09-21"},
		{2022, "2022-09-10"},
		{2023, "2023-09-29"},
		{2024, "2024-09-17"},
		{2025, "2025-10-06"},
		{2026, "2026-09-25"},
	}
	for _, tt := range tests {
		got, err := MidAutumn(tt.year)
		if err != nil {
			t.Fatalf("MidAutumn(%d): %v", tt.year, err)
		}
		if got.String() != tt.want {
			t.Errorf("MidAutumn(%d) = %s, want %s", tt.year, got, tt.want)
		}
	}
}

// The table must be self-consistent: each lunar year begins where the last
// one ended, new year always falls between Jan 21 and Feb 20, and every year
// has 353–385 days.
func TestLunarTable_Consistent(t *testing.T) {
	for y := lunarFirstYear; y <= lunarLastYear; y++ {
		ny, err := LunarNewYear(y)
		if err != nil {
			t.Fatal(err)
		}
		lo := Date{y, time.January, 21}
		hi := Date{y, time.February, 20}
		if ny.Before(lo) || hi.Before(ny) {
			t.Errorf("lunar new year %d on %s", y, ny)
		}
		if n := lunarYearDays(y); n < 353 || n > 385 {
			t.Errorf("lunar year %d has %d days", y, n)
		}
		if y < lunarLastYear {
			next, _ := LunarNewYear(y + 1)
			if got := ny.AddDays(lunarYearDays(y)); got != next {
				t.Errorf("year %d + %d days = %s, next new year %s", y, lunarYearDays(y), got, next)
			}
		}
	}
}

func TestLunarToSolar_Errors(t *testing.T) {
	tests := []struct {
		name             string
		year, month, day int
		leap             bool
	}{
		{"year too early", 1899, 1, 1, false},
		{"year too late", 2101, 1, 1, false},
		{"month 13", 2024, 13, 1, false},
		{"day 31", 2024, 1, 31, false},
		{"no such leap", 2024, 3, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LunarToSolar(tt.year, tt.month, tt.day, tt.leap); err == nil {
				t.Errorf("LunarToSolar(%d,%d,%d,%v) = nil error", tt.year, tt.month, tt.day, tt.leap)
			}
		})
	}
}

func TestLunarToSolar_LeapMonth(t *testing.T) {
	// 2023 had a leap 2nd month: 闰二月初一 = 2023-03-22.
	got, err := LunarToSolar(2023, 2, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "2023-03-22" {
		t.Errorf("2023 闰二月初一 = %s, want 2023-03-22", got)
	}
}
