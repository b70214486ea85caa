package store

import (
	"fmt"

	"agentdesk/agent/store/seal"

	bolt "go.etcd.io/bbolt"
)

// Every read and write of the store goes through txn and bucket, which keep
// values as the file keeps them: in the clear in a plain file, sealed in a
// sealed one (AES-256-GCM with the bucket's name and the key as associated
// data, so a value cannot be moved to another record). Index entries with
// empty values stay empty.

// plainBuckets are never sealed: they hold nothing about customers (file
// identity and key slots, pull cursors, script packs), or, for the import's
// undo log, record bytes exactly as stored (so already sealed in a sealed
// file).
var plainBuckets = map[string]bool{
	string(bucketMeta): true, string(bucketSync): true, string(bucketPacks): true,
	string(bucketImportUndo): true,
}

// txn is a bbolt transaction with the file's cipher (nil for a plain file).
type txn struct {
	tx *bolt.Tx
	k  *seal.Cipher
}

// bucket is a bbolt bucket that seals and opens its values.
type bucket struct {
	b    *bolt.Bucket
	name []byte
	k    *seal.Cipher // nil: values kept as given
}

func (t txn) wrap(b *bolt.Bucket, name []byte) *bucket {
	if b == nil {
		return nil
	}
	k := t.k
	if plainBuckets[string(name)] {
		k = nil
	}
	return &bucket{b: b, name: name, k: k}
}

// bucket returns the named bucket, or nil if the file has none.
func (t txn) bucket(name []byte) *bucket { return t.wrap(t.tx.Bucket(name), name) }

// ensure returns the named bucket, creating it in a write transaction;
// in a read transaction a missing bucket is nil.
func (t txn) ensure(name []byte) (*bucket, error) {
	if b := t.tx.Bucket(name); b != nil || !t.tx.Writable() {
		return t.wrap(b, name), nil
	}
	b, err := t.tx.CreateBucket(name)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return t.wrap(b, name), nil
}

// ad is a value's place: bucket name, 0, key.
func (b *bucket) ad(key []byte) []byte { return placeOf(b.name, key) }

func placeOf(bucket, key []byte) []byte {
	ad := make([]byte, 0, len(bucket)+1+len(key))
	ad = append(ad, bucket...)
	ad = append(ad, 0)
	return append(ad, key...)
}

// get returns the value of key (nil if none). In a plain file it is only
// valid during the transaction, as bbolt's.
func (b *bucket) get(key []byte) ([]byte, error) {
	return b.open(key, b.b.Get(key))
}

// has reports whether key is stored, without opening its value.
func (b *bucket) has(key []byte) bool { return b.b.Get(key) != nil }

// open opens a value read from this bucket's cursor.
func (b *bucket) open(key, raw []byte) ([]byte, error) {
	if b.k == nil || len(raw) == 0 {
		return raw, nil
	}
	v, err := b.k.Open(nil, raw, b.ad(key))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", b.name, printable(key), err)
	}
	return v, nil
}

// scanner opens the values of a cursor scan into one reused buffer: each
// value it returns is valid until the next call.
type scanner struct {
	b       *bucket
	buf, ad []byte
}

func (b *bucket) scanner() *scanner { return &scanner{b: b} }

func (sc *scanner) open(key, raw []byte) ([]byte, error) {
	b := sc.b
	if b.k == nil || len(raw) == 0 {
		return raw, nil
	}
	sc.ad = append(append(append(sc.ad[:0], b.name...), 0), key...)
	v, err := b.k.Open(sc.buf[:0], raw, sc.ad)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", b.name, printable(key), err)
	}
	sc.buf = v
	return v, nil
}

// put stores value under key, sealed if the bucket is.
func (b *bucket) put(key, value []byte) error {
	return b.b.Put(key, b.seal(key, value))
}

// seal returns value as this bucket stores it under key.
func (b *bucket) seal(key, value []byte) []byte { return sealAt(b.k, b.name, key, value) }

// sealAt returns value as a bucket of that name stores it under key with
// cipher k (nil: as is).
func sealAt(k *seal.Cipher, bucket, key, value []byte) []byte {
	if k == nil || len(value) == 0 {
		return value
	}
	return k.Seal(make([]byte, 0, len(value)+seal.Overhead), value, placeOf(bucket, key))
}

func (b *bucket) delete(key []byte) error { return b.b.Delete(key) }

func (b *bucket) cursor() *bolt.Cursor { return b.b.Cursor() }

// forEach calls fn with every key and opened value, in key order.
func (b *bucket) forEach(fn func(k, v []byte) error) error {
	return b.b.ForEach(func(k, raw []byte) error {
		v, err := b.open(k, raw)
		if err != nil {
			return err
		}
		return fn(k, v)
	})
}

// printable renders a key for an error message: as text if it is one,
// else in hex.
func printable(k []byte) string {
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%x", k)
		}
	}
	return string(k)
}
