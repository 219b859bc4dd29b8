package purchases

// WaitEnded is waitEnded, for the external tests.
var WaitEnded = waitEnded

var SpanOf = spanOf
