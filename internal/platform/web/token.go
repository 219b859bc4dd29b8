package web

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
)

// Tokens reads the service token setting (SAGA_SERVICE_TOKEN): one bearer
// token, or two, comma-separated, while one replaces the other. A server
// accepts either; a client sends the first. Rotating is three changes,
// servers first: "old,new" everywhere (clients still send old), then
// "new,old" (clients send new), then "new".
func Tokens(setting string) ([]string, error) {
	if setting == "" {
		return nil, nil
	}
	tokens := strings.Split(setting, ",")
	if len(tokens) > 2 {
		return nil, fmt.Errorf("%s holds %d tokens: at most two, the one sent first", EnvToken, len(tokens))
	}
	for _, t := range tokens {
		if strings.TrimSpace(t) != t || t == "" {
			return nil, fmt.Errorf("%s: a token is empty or has spaces around it", EnvToken)
		}
	}
	return tokens, nil
}

// sent is the token a client sends: the setting's first.
func sent(setting string) string {
	first, _, _ := strings.Cut(setting, ",")
	return first
}

// validToken tells whether r carries one of tokens as its bearer token.
// Each is compared in constant time, and both always are.
func validToken(r *http.Request, tokens []string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	match := 0
	for _, t := range tokens {
		match |= subtle.ConstantTimeCompare([]byte(got), []byte(t))
	}
	return ok && match == 1
}
