package auth

// CheapHashes lowers the argon2id cost for tests of other behaviour than
// the hash itself, and returns a function restoring it.
func CheapHashes() func() {
	saved := argon
	argon.time, argon.memory, argon.threads = 1, 1024, 1
	return func() { argon = saved }
}
