//go:build !linux && !windows

package seal

// SystemKeystore reports that this OS has no keystore the desk can use.
func SystemKeystore() (Keystore, error) { return nil, ErrNoKeystore }
