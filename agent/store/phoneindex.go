package store

// bucketPhoneIndex maps "<normalised number>\x00<customer id>" to nothing, so
// one number can belong to several customers and a prefix scan finds them all.
var bucketPhoneIndex = []byte("idx_phone")
