package store

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"agentdesk/agent/store/seal"

	bolt "go.etcd.io/bbolt"
)

// Errors of sealed files.
var (
	// ErrSealed is returned by Open when the file is sealed and no key slot
	// opened: no WithUnlock was given, or its unlocker found no slot of its
	// own (seal.ErrNoSlot), the secret was wrong (ErrWrongSecret), the slot
	// expired (seal.ErrExpired) or the OS keystore failed (seal.ErrKeystore);
	// the error wraps the unlocker's.
	ErrSealed = errors.New("data file is sealed and no key slot opened")
	// ErrWrongSecret is seal.ErrWrongSecret: a slot was found but the PIN,
	// password or key did not open it. A sign-in counts these.
	ErrWrongSecret = seal.ErrWrongSecret
	// ErrNotSealed is returned by the key-slot methods of a plain file.
	ErrNotSealed = errors.New("data file is not sealed")
	// ErrLastSlot is returned by RemoveSlot for the file's only slot: the
	// file would never open again.
	ErrLastSlot = errors.New("the data file's last key slot cannot be removed")
)

var (
	keySeal     = []byte("seal")         // sealHeader JSON
	keyReplaced = []byte("replaced")     // set in a plain file once a sealed copy replaced it
	slotPrefix  = []byte("slot\x00")     // + kind + 0 + name → seal.Slot JSON
	sealCheck   = []byte("agentdesk")    // sealed in the header to recognise the data key
	sealingTemp = ".sealing-"            // a sealed copy being written: .<file>.sealing-<random>
	sealBatch   = 20_000                 // entries per write transaction of the copy
	headerAD    = []byte("meta\x00seal") // place of the header's check value
)

// sealHeader marks a sealed file: the AEAD and a value sealed with the data
// key (to tell a right key from a slot of another file).
type sealHeader struct {
	Version int    `json:"version"`
	AEAD    string `json:"aead"`
	Check   []byte `json:"check"`
}

type sealState struct {
	hasMeta  bool
	replaced bool
	header   *sealHeader
	slots    []seal.Slot
}

func (s *Store) readSealState() (sealState, error) {
	var st sealState
	err := s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil {
			return nil
		}
		st.hasMeta = true
		if v := m.Get(keySchema); len(v) == 8 && binary.BigEndian.Uint64(v) > SchemaVersion {
			// Before the seal: a newer file may be sealed another way.
			return fmt.Errorf("%w (schema %d, this build reads up to %d)", ErrNewerSchema, binary.BigEndian.Uint64(v), SchemaVersion)
		}
		st.replaced = m.Get(keyReplaced) != nil
		if raw := m.Get(keySeal); raw != nil {
			st.header = &sealHeader{}
			if err := json.Unmarshal(raw, st.header); err != nil {
				return fmt.Errorf("read seal header: %w", err)
			}
			if st.header.Version != 1 {
				return fmt.Errorf("%w (seal format %d)", ErrNewerSchema, st.header.Version)
			}
		}
		var err error
		st.slots, err = readSlots(tx)
		return err
	})
	return st, err
}

func readSlots(tx *bolt.Tx) ([]seal.Slot, error) {
	var out []seal.Slot
	c := tx.Bucket(bucketMeta).Cursor()
	for k, v := c.Seek(slotPrefix); k != nil && bytes.HasPrefix(k, slotPrefix); k, v = c.Next() {
		var sl seal.Slot
		if err := json.Unmarshal(v, &sl); err != nil {
			return nil, fmt.Errorf("read key slot %q: %w", k[len(slotPrefix):], err)
		}
		out = append(out, sl)
	}
	return out, nil
}

func slotKey(kind seal.SlotKind, name string) []byte {
	return append(append(append(bytes.Clone(slotPrefix), kind...), 0), name...)
}

// useKey takes dek as the file's data key after checking it against the
// header.
func (s *Store) useKey(dek []byte, h *sealHeader) error {
	k, err := seal.NewCipher(dek)
	if err != nil {
		return err
	}
	got, err := k.Open(nil, h.Check, headerAD)
	if err != nil || !bytes.Equal(got, sealCheck) {
		return fmt.Errorf("%w: the slot's key is not this file's", ErrSealed)
	}
	s.k, s.dek = k, dek
	return nil
}

// freshSeal is what sealing a file writes into its meta bucket.
type freshSeal struct {
	header sealHeader
	slots  []seal.Slot
}

// newKey makes a data key and u's slots for it, and takes it as the file's.
func (s *Store) newKey(u seal.Unlocker) (*freshSeal, error) {
	dek, err := seal.NewKey()
	if err != nil {
		return nil, err
	}
	k, err := seal.NewCipher(dek)
	if err != nil {
		return nil, err
	}
	slots, err := u.Wrap(dek)
	if err != nil {
		return nil, fmt.Errorf("seal data file: %w", err)
	}
	if len(slots) == 0 {
		return nil, errors.New("seal data file: the unlocker made no key slot")
	}
	s.k, s.dek = k, dek
	return &freshSeal{header: sealHeader{Version: 1, AEAD: "AES-256-GCM", Check: k.Seal(nil, sealCheck, headerAD)}, slots: slots}, nil
}

// write puts the header and slots into the meta bucket (made if missing).
func (f *freshSeal) write(t txn) error {
	m, err := t.tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	h, err := json.Marshal(&f.header)
	if err != nil {
		return err
	}
	if err := m.Put(keySeal, h); err != nil {
		return err
	}
	for _, sl := range f.slots {
		if err := putSlot(m, sl); err != nil {
			return err
		}
	}
	return nil
}

func putSlot(m *bolt.Bucket, sl seal.Slot) error {
	v, err := json.Marshal(&sl)
	if err != nil {
		return fmt.Errorf("encode key slot: %w", err)
	}
	return m.Put(slotKey(sl.Kind, sl.Name), v)
}

// sealFile replaces this plain file by a sealed copy with u's slots, so
// that a kill at any moment leaves either the old plain file or the whole
// sealed one at the path. The copy is written beside the file (same
// directory, so the rename is atomic), synced, renamed over the file, and
// the directory synced. The copy's bbolt handle, which holds its lock from
// before the rename, becomes the store's. The old file is marked replaced,
// so a process that was waiting for its lock opens the path again.
func (s *Store) sealFile(u seal.Unlocker) error {
	fresh, err := s.newKey(u)
	if err != nil {
		return err
	}
	dir, base := filepath.Dir(s.path), filepath.Base(s.path)
	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+base+sealingTemp+hex.EncodeToString(suffix))
	o := s.o
	o.noSync = true // synced once at the end
	dst, err := bolt.Open(tmp, 0o600, boltOptions(o))
	if err != nil {
		return fmt.Errorf("seal data file: %w", err)
	}
	fail := func(err error) error {
		dst.Close()
		os.Remove(tmp)
		s.k, s.dek = nil, nil
		return fmt.Errorf("seal data file: %w", err)
	}
	if err := s.copySealed(dst, fresh); err != nil {
		return fail(err)
	}
	if err := dst.Sync(); err != nil {
		return fail(err)
	}
	if runtime.GOOS == "windows" {
		// Windows cannot rename over an open (mapped) file: close both, then
		// rename. A process that opens the old file in between makes the
		// rename fail, and the file stays plain.
		if err := dst.Close(); err != nil {
			return fail(err)
		}
		s.db.Close()
		if err := os.Rename(tmp, s.path); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("seal data file: %w", err)
		}
		db, err := bolt.Open(s.path, 0o600, boltOptions(s.o))
		if err != nil {
			return fmt.Errorf("seal data file: reopen: %w", err)
		}
		s.db = db
		s.log.Info("sealed data file")
		return nil
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fail(err)
	}
	if err := syncDir(dir); err != nil {
		s.log.Warn("sync data dir after sealing", "error", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyReplaced, []byte{1}) }); err != nil {
		s.log.Warn("mark the replaced plain file", "error", err)
	}
	s.db.Close()
	dst.NoSync = s.o.noSync
	s.db = dst
	s.log.Info("sealed data file")
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// copySealed copies every bucket of the file into dst, sealing values and
// hashing phone-index keys, in batches of write transactions, and adds the
// seal header and slots. It checks every bucket's key count afterwards.
func (s *Store) copySealed(dst *bolt.DB, fresh *freshSeal) error {
	sealed := txn{k: s.k}
	return s.db.View(func(src *bolt.Tx) error {
		err := src.ForEach(func(name []byte, b *bolt.Bucket) error {
			name = bytes.Clone(name)
			if err := dst.Update(func(tx *bolt.Tx) error {
				nb, err := tx.CreateBucket(name)
				if err != nil {
					return err
				}
				return nb.SetSequence(b.Sequence())
			}); err != nil {
				return fmt.Errorf("bucket %s: %w", name, err)
			}
			if bytes.Equal(name, bucketPhoneIndex) {
				return copyPhoneIndex(dst, b, sealed)
			}
			type kv struct{ k, v []byte }
			batch := make([]kv, 0, sealBatch)
			flush := func() error {
				err := dst.Update(func(tx *bolt.Tx) error {
					nb := tx.Bucket(name)
					nb.FillPercent = 0.9
					w := sealed.wrap(nb, name)
					for _, e := range batch {
						if err := nb.Put(e.k, w.seal(e.k, e.v)); err != nil {
							return err
						}
					}
					return nil
				})
				batch = batch[:0]
				return err
			}
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil && b.Bucket(k) != nil {
					return fmt.Errorf("bucket %s: nested bucket %q is not copied", name, k)
				}
				batch = append(batch, kv{k, v})
				if len(batch) == sealBatch {
					if err := flush(); err != nil {
						return fmt.Errorf("bucket %s: %w", name, err)
					}
				}
			}
			if err := flush(); err != nil {
				return fmt.Errorf("bucket %s: %w", name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := dst.Update(func(tx *bolt.Tx) error { return fresh.write(txn{tx: tx, k: s.k}) }); err != nil {
			return err
		}
		return dst.View(func(tx *bolt.Tx) error {
			return src.ForEach(func(name []byte, b *bolt.Bucket) error {
				want, got := b.Stats().KeyN, tx.Bucket(name).Stats().KeyN
				if bytes.Equal(name, bucketMeta) {
					want += 1 + len(fresh.slots) // the header and the slots
				}
				if got != want {
					return fmt.Errorf("sealed copy of %s holds %d keys, the file %d", name, got, want)
				}
				return nil
			})
		})
	})
}

// copyPhoneIndex rewrites the plain index's "number\x00id" keys as keyed
// hashes, sorted so the copy appends.
func copyPhoneIndex(dst *bolt.DB, b *bolt.Bucket, sealed txn) error {
	var keys [][]byte
	err := b.ForEach(func(k, _ []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return fmt.Errorf("phone index key %x has no separator", k)
		}
		keys = append(keys, sealed.phoneKey(string(k[:i]), string(k[i+1:])))
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(keys, bytes.Compare)
	for start := 0; start < len(keys); start += sealBatch {
		part := keys[start:min(start+sealBatch, len(keys))]
		if err := dst.Update(func(tx *bolt.Tx) error {
			nb := tx.Bucket(bucketPhoneIndex)
			nb.FillPercent = 0.9
			for _, k := range part {
				if err := nb.Put(k, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("phone index: %w", err)
		}
	}
	return nil
}

// removeStaleCopies deletes sealed copies a killed process left beside the
// file. Only a process holding the file's lock writes one, and this one
// holds it now, so any copy there is stale.
func (s *Store) removeStaleCopies() {
	pattern := filepath.Join(filepath.Dir(s.path), "."+filepath.Base(s.path)+sealingTemp+"*")
	stale, _ := filepath.Glob(pattern)
	for _, f := range stale {
		if err := os.Remove(f); err == nil {
			s.log.Warn("removed an unfinished sealed copy", "file", f)
		}
	}
}

// Sealed reports whether the file is sealed.
func (s *Store) Sealed() bool { return s.k != nil }

// Slots returns the file's key slots, in kind and name order (their
// wrapped keys open only with their unlocker's secret).
func (s *Store) Slots() ([]seal.Slot, error) {
	if s.k == nil {
		return nil, ErrNotSealed
	}
	var out []seal.Slot
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = readSlots(tx)
		return err
	})
	return out, err
}

// AddSlot wraps the file's data key in u's slots (for seal.Any, one per
// member) and stores them, each replacing the slot of the same kind and
// name: the sign-in adds an agent's slot at the agent's first online
// sign-in, renews it with a new expiry or PIN, adds the hub's. The slot is
// in the file (and its backups) once AddSlot returns.
func (s *Store) AddSlot(u seal.Unlocker) error {
	if s.k == nil {
		return fmt.Errorf("add key slot: %w", ErrNotSealed)
	}
	slots, err := u.Wrap(s.dek)
	if err != nil {
		return fmt.Errorf("add key slot: %w", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, sl := range slots {
			if err := putSlot(tx.Bucket(bucketMeta), sl); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add key slot: %w", err)
	}
	return nil
}

// RemoveSlot removes the slot of kind and name (an agent who left, an old
// hub key). Removing a slot the file does not have returns an error
// wrapping ErrNotFound; removing the last slot, ErrLastSlot. Backups made
// before keep the slot.
func (s *Store) RemoveSlot(kind seal.SlotKind, name string) error {
	if s.k == nil {
		return fmt.Errorf("remove key slot: %w", ErrNotSealed)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		slots, err := readSlots(tx)
		if err != nil {
			return err
		}
		key := slotKey(kind, name)
		if tx.Bucket(bucketMeta).Get(key) == nil {
			return fmt.Errorf("%s slot %q: %w", kind, name, ErrNotFound)
		}
		if len(slots) == 1 {
			return ErrLastSlot
		}
		return tx.Bucket(bucketMeta).Delete(key)
	})
	if err != nil {
		return fmt.Errorf("remove key slot: %w", err)
	}
	return nil
}

// CheckUnlock reports whether u opens this file: nil if one of its slots
// gives this file's data key, else an error wrapping ErrSealed and the
// unlocker's error (ErrWrongSecret for a wrong PIN). A sign-in on a desk
// whose store is already open checks the agent's PIN with it.
func (s *Store) CheckUnlock(u seal.Unlocker) error {
	slots, err := s.Slots()
	if err != nil {
		return fmt.Errorf("check unlock: %w", err)
	}
	dek, err := u.Unlock(slots)
	if err != nil {
		return fmt.Errorf("check unlock: %w: %w", ErrSealed, err)
	}
	if subtle.ConstantTimeCompare(dek, s.dek) != 1 {
		return fmt.Errorf("check unlock: %w: the slot's key is not this file's", ErrSealed)
	}
	return nil
}
