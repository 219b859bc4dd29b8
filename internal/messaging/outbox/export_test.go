package outbox

// RelayLockKey is the relay's advisory lock, for tests that hold it.
const RelayLockKey = relayLockKey
