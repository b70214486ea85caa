// Package store keeps a desk's records in one bbolt file: customers with a
// phone-number index, calls, complaints, callbacks, alerts; the indexes that
// lists and a day's statistics read instead of every record; the schema
// version and its migrations; the outbox of changes waiting to be synced
// upstream; and consistent backups.
//
// Every write is one bbolt transaction that stores the record, its index
// entries and its outbox entry together, so a change is either durable and
// queued for sync or not made at all.
//
// # Indexes
//
// Besides the phone index (numbers → customers) and the call indexes (by
// time, by customer), complaints are indexed by reply deadline, customer,
// owner and state, with a summary per case (the fields a list line shows:
// CaseSummary), and by the instants a day's statistics count (opened,
// replied, closed); callbacks by customer and by the instants of their
// attempts and outcomes. ComplaintSummaries, DueCases, ComplaintsBetween and
// CallbacksBetween read them. Schema 2 builds them for files written
// before, in sorted batches, setting the version last (a process killed
// part-way leaves schema 1, and the next Open builds them again).
// CheckIndexes rebuilds every index in memory and compares.
//
// # Sealed at rest
//
// A desk's file holds every customer the hub knows. Sealed, a copy of it
// (a stolen or re-imaged PC, a copied backup) shows no name, number or
// complaint text.
//
// Values. Each sealed file has a random 256-bit data key (DEK). Every value
// of the record buckets (customers, calls, complaints, callbacks, alerts,
// agent states), of the outbox (whose entries carry record bodies) and of
// the indexes that have values (case summaries) is sealed with AES-256-GCM
// under a key derived from the DEK (HKDF-SHA256), with the bucket's name
// and the key as associated data, so a value moved to another record or
// bucket does not open (seal.ErrCorrupt). Nonces are a random prefix per
// open and a counter (package seal). Keys stay in the clear: they are record
// UUIDs, sequence numbers, instants, agent numbers and states — a copy shows
// how many records there are and when calls and events happened, not whose.
// Meta (desk ID, schema, key slots), pull cursors and script packs are not
// customer data and stay plain; the import's undo log keeps records' bytes
// as stored, so sealed.
//
// Phone index. Its keys are HMAC-SHA256(index key, E.164 number) cut to 16
// bytes, then the customer ID; the index key is derived from the DEK. A
// lookup hashes the normalised number, seeks, opens the customers and keeps
// those that hold the number. A search by a number's first digits cannot use
// hashes of whole numbers: on a sealed file the first number search reads
// every customer's numbers into a sorted directory in memory (about 2–3 s
// of CPU for a million customers), which the Store's own writes keep up to
// date (the file's lock makes them the only ones); later searches read it.
// Name searches open every customer, as on a plain file they decode them.
//
// Key slots. The DEK is never on disk in the clear: it is stored wrapped, in
// key slots in the file's meta bucket (so backups carry them), each the DEK
// sealed with AES-256-GCM under a key-encryption key (KEK), every other
// field of the slot authenticated with it. An Unlocker (package seal) opens
// one kind of slot and makes new ones:
//   - OS slot (seal.OS): the KEK is random and kept by the OS for the user —
//     Windows DPAPI in user scope (the slot holds the DPAPI blob), or the
//     Linux Secret Service over D-Bus (GNOME Keyring, KWallet; the slot holds
//     a random attribute that finds the item). The file opens for that OS
//     user on that machine without a PIN; a copy elsewhere does not.
//   - Agent slot (seal.Agent): KEK = argon2id(PIN or password, 16-byte salt;
//     t=3, 64 MiB, 2 lanes by default), salt and cost stored with the slot,
//     an optional NotAfter (the offline sign-in lifetime, authenticated with
//     the slot). The sign-in makes one per agent at the agent's first online
//     sign-in and opens it offline. A wrong PIN is seal.ErrWrongSecret
//     (ErrWrongSecret here), which the sign-in counts. A PIN is a small
//     secret: whoever holds a copy can try every PIN offline at argon2id's
//     cost, which a rate limit cannot stop; passwords, or the OS and hub
//     slots alone, resist that.
//   - Hub slot (seal.Hub): KEK = HKDF(a 256-bit key the hub keeps per desk
//     and hands it at online sign-in, key ID). The desk keeps only the
//     wrapped DEK, so a new PC or a restored backup opens with the hub's
//     help. Rotating: open with the old key, AddSlot the new, RemoveSlot the
//     old.
//
// Open(path, WithUnlock(u)) finds the DEK through u (seal.Any tries several)
// and checks it against a value sealed in the file's header. Without a slot
// it opens, Open returns ErrSealed, wrapping the unlocker's reason
// (seal.ErrNoSlot, ErrWrongSecret, seal.ErrExpired, seal.ErrKeystore).
// AddSlot, RemoveSlot (never the last: ErrLastSlot), Slots and CheckUnlock
// (a sign-in on an open store) manage the slots of an open sealed file.
// Without WithUnlock a plain file works as before and a sealed one is
// refused with ErrSealed.
//
// Sealing an existing file. Open of a plain file with WithUnlock seals it:
// it migrates and recovers the plain file, writes a sealed copy beside it
// (".<name>.sealing-<random>", same directory; every bucket, values sealed,
// phone keys hashed, key counts checked), syncs it, renames it over the
// file while still holding the old file's lock (the copy's handle, opened
// before the rename, keeps its own lock), syncs the directory, and marks
// the old file replaced so a process that was waiting for its lock opens
// the path again. A kill at any moment leaves the old plain file or the
// whole sealed one; the next Open removes a left-over copy. On Windows,
// which cannot rename over an open file, both are closed first; an opener
// in between makes the rename fail and the file stays plain. The plain
// bytes of the old file may remain in free disk blocks and in older
// backups: full-disk encryption, not this package, removes those.
//
// Cost: LookupPhone adds one HMAC and one AES-GCM open per customer found;
// an import seals each record and hashes each number in its parse workers
// (see the README's measured figures).
package store
