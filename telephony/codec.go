package telephony

import "github.com/zaf/g711"

// codec is one G.711 law: 8 kHz, one byte a sample.
type codec struct {
	pt   uint8
	name string
	// silence is the byte a zero sample encodes to.
	silence byte
	enc     func(int16) uint8
	dec     func(uint8) int16
}

var (
	pcmu = codec{pt: ptPCMU, name: "PCMU", silence: 0xFF, enc: g711.EncodeUlawFrame, dec: g711.DecodeUlawFrame}
	pcma = codec{pt: ptPCMA, name: "PCMA", silence: 0xD5, enc: g711.EncodeAlawFrame, dec: g711.DecodeAlawFrame}
)

// codecFor is the law a negotiated format names (false for anything that
// is not 8 kHz G.711).
func codecFor(f Format) (codec, bool) {
	if f.Rate != 8000 && f.Rate != 0 {
		return codec{}, false
	}
	switch f.Name {
	case "PCMU":
		c := pcmu
		c.pt = uint8(f.PT)
		return c, true
	case "PCMA":
		c := pcma
		c.pt = uint8(f.PT)
		return c, true
	}
	return codec{}, false
}

// encode writes one byte per sample of pcm into dst (len(dst) ≥ len(pcm)).
func (c codec) encode(dst []byte, pcm []int16) {
	for i, s := range pcm {
		dst[i] = c.enc(s)
	}
}

// decode writes one sample per byte of payload into dst.
func (c codec) decode(dst []int16, payload []byte) {
	for i, b := range payload {
		dst[i] = c.dec(b)
	}
}
