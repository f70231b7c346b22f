// Package scramcred is the SCRAM credential format shared by the broker's
// auth/ package and `strata storage format --add-scram`: how a credential
// is derived from a password (RFC 5802 section 3, as Kafka's ScramFormatter:
// SaltedPassword = Hi(UTF-8 password, salt, i), StoredKey =
// H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword,
// "Server Key")), Kafka's mechanism names and types (SCRAM-SHA-256 = 1,
// SCRAM-SHA-512 = 2) and iteration bounds (4096..16384, ScramMechanism and
// ScramControlManager), and the file that holds them.
//
// File layout: <first log dir>/scram-credentials.json, JSON
//
//	{"version":1,"users":{"alice":{"SCRAM-SHA-256":{"salt":"<base64>",
//	 "stored_key":"<base64>","server_key":"<base64>","iterations":8192}}}}
//
// written whole with vfs.WriteFileAtomic (temp file, fsync, rename, fsync
// dir). No password and no salted password is stored. The package holds no
// state and no locks.
package scramcred
