package web

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/sagaforge/saga/platform/fault"
)

// Page asks a list endpoint for the items whose key comes after After, at
// most Limit of them, in key order. A response carries the key to ask after
// next ("next"), empty on the last page. Keyset pages stay correct and
// cheap however many items there are, unlike one response with everything.
type Page struct {
	After string
	Limit int
}

// Page sizes: the default, and the most one response holds.
const (
	DefaultPageLimit = 1000
	MaxPageLimit     = 2000
)

// PageFrom reads ?after= and ?limit= (the default limit when absent).
func PageFrom(q url.Values) (Page, error) {
	p := Page{After: q.Get("after"), Limit: DefaultPageLimit}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > MaxPageLimit {
			return Page{}, fmt.Errorf("%w: limit must be an integer from 1 to %d, got %q", fault.ErrInvalid, MaxPageLimit, s)
		}
		p.Limit = n
	}
	return p, nil
}

// Query is the page as query parameters, to add to a path.
func (p Page) Query() string {
	v := url.Values{}
	v.Set("after", p.After)
	if p.Limit > 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	return v.Encode()
}

// Next is the key to ask after for the page that follows items, whose last
// key is last: empty when fewer than the limit came back.
func (p Page) Next(n int, last string) string {
	if n < p.Limit || n == 0 {
		return ""
	}
	return last
}
