package consumer

// DecodeDeadLetter is decodeDeadLetter, for the external tests.
var DecodeDeadLetter = decodeDeadLetter
