package agent

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestCNMobileFastPath checks the fast path answers what the library does,
// over every 1xx prefix and random subscriber digits.
func TestCNMobileFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for prefix := 100; prefix < 200; prefix++ {
		for range 50 {
			d := fmt.Sprintf("%d%08d", prefix, r.IntN(100_000_000))
			fast, ok := cnMobile(d)
			if !ok {
				continue
			}
			num, err := phonenumbers.Parse(d, DefaultRegion)
			if err != nil {
				t.Fatalf("library rejects %s that the fast path takes: %v", d, err)
			}
			if lib := phonenumbers.Format(num, phonenumbers.E164); lib != fast || !phonenumbers.IsPossibleNumber(num) {
				t.Fatalf("%s: fast path %s, library %s (possible %v)", d, fast, lib, phonenumbers.IsPossibleNumber(num))
			}
			for _, form := range []string{"+86" + d, "0086" + d, d[:3] + "-" + d[3:7] + "-" + d[7:]} {
				if got, err := NormalizePhone(form); err != nil || got != fast {
					t.Fatalf("NormalizePhone(%s) = %s, %v; want %s", form, got, err, fast)
				}
			}
		}
	}
}

// TestNormalizePhone_Stable: a text the library reads one way but prints as
// another number must be refused, not stored under a form that later finds a
// different number (found by FuzzNormalizePhone).
func TestNormalizePhone_Stable(t *testing.T) {
	for _, in := range []string{"+86 0000000000000", "+86 0755 8888 9999 0"} {
		got, err := NormalizePhone(in)
		if err != nil {
			continue
		}
		if again, err := NormalizePhone(got); err != nil || again != got {
			t.Errorf("NormalizePhone(%q) = %q, but that normalises to %q, %v", in, got, again, err)
		}
	}
	if _, err := NormalizePhone("+86 0000000000000"); err == nil {
		t.Error(`NormalizePhone("+86 0000000000000") succeeded`)
	}
}

// TestCNLandlineFastPath checks the landline fast path against the library
// for every area-code shape, both written forms and both lengths.
func TestCNLandlineFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for lead := 100; lead < 1000; lead++ { // the first three digits after the trunk 0
		for _, n := range []int{10, 11} {
			for range 4 {
				nsn := fmt.Sprintf("%d%0*d", lead, n-3, r.Int64N(int64(pow10(n-3))))
				for _, form := range []string{"0" + nsn, "+86" + nsn} {
					fast, ok := cnLandline(form)
					if !ok {
						continue
					}
					fast = serviceNational(fast)
					num, err := phonenumbers.Parse(form, DefaultRegion)
					if err != nil || !phonenumbers.IsPossibleNumber(num) {
						t.Fatalf("%s: fast path %s, library refuses (%v)", form, fast, err)
					}
					if lib := serviceNational(phonenumbers.Format(num, phonenumbers.E164)); lib != fast {
						t.Fatalf("%s: fast path %s, library %s", form, fast, lib)
					}
					if again, err := NormalizePhone(fast); err != nil || again != fast {
						t.Fatalf("%s: %s normalises to %s, %v", form, fast, again, err)
					}
				}
			}
		}
	}
}

func pow10(n int) int {
	p := 1
	for range n {
		p *= 10
	}
	return p
}
