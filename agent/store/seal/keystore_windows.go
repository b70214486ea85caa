//go:build windows

package seal

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// SystemKeystore returns Windows DPAPI in user scope: what it protects only
// the same Windows user on the same machine (or domain roaming profile) can
// unprotect.
func SystemKeystore() (Keystore, error) { return dpapi{}, nil }

type dpapi struct{}

// dpapiEntropy ties the blobs to agentdesk: another program of the same
// user cannot unprotect them without it.
var dpapiEntropy = []byte("agentdesk os slot v1")

func (dpapi) Name() string { return "dpapi" }

func blob(b []byte) *windows.DataBlob {
	if len(b) == 0 {
		return &windows.DataBlob{}
	}
	return &windows.DataBlob{Size: uint32(len(b)), Data: &b[0]}
}

func takeBlob(out *windows.DataBlob) []byte {
	defer windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return append([]byte(nil), unsafe.Slice(out.Data, out.Size)...)
}

func (dpapi) Protect(secret []byte) ([]byte, error) {
	desc, err := windows.UTF16PtrFromString("agentdesk data file key")
	if err != nil {
		return nil, err
	}
	var out windows.DataBlob
	if err := windows.CryptProtectData(blob(secret), desc, blob(dpapiEntropy), 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, fmt.Errorf("%w: CryptProtectData: %v", ErrKeystore, err)
	}
	return takeBlob(&out), nil
}

func (dpapi) Unprotect(handle []byte) ([]byte, error) {
	if len(handle) == 0 {
		return nil, fmt.Errorf("%w: empty DPAPI blob", ErrKeystore)
	}
	var out windows.DataBlob
	if err := windows.CryptUnprotectData(blob(handle), nil, blob(dpapiEntropy), 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, fmt.Errorf("%w: CryptUnprotectData: %v", ErrKeystore, err)
	}
	return takeBlob(&out), nil
}
