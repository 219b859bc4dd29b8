// Package keyset is keyset pagination, as every list endpoint pages: the
// items whose key comes after a given one, in key order, at most a limit of
// them. Unlike offsets, it stays correct and cheap however many items
// there are and however they change between pages.
package keyset

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/sagaforge/saga/internal/platform/fault"
)

// Page asks a list endpoint for the items whose key comes after After, at
// most Limit of them, in key order. A response carries the key to ask after
// next ("next"), empty on the last page.
type Page struct {
	After string
	Limit int
}

// Page sizes: the default, and the most one response holds.
const (
	DefaultLimit = 1000
	MaxLimit     = 2000
)

// From reads ?after= and ?limit= (the default limit when absent).
func From(q url.Values) (Page, error) {
	p := Page{After: q.Get("after"), Limit: DefaultLimit}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > MaxLimit {
			return Page{}, fmt.Errorf("%w: limit must be an integer from 1 to %d, got %q", fault.ErrInvalid, MaxLimit, s)
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

// Of renders one page of rows for the wire and returns the key to ask
// after for the next page (see Page.Next).
func Of[Row, Wire any](page Page, rows []Row, key func(Row) string, render func(Row) Wire) ([]Wire, string) {
	next := ""
	if n := len(rows); n > 0 {
		next = page.Next(n, key(rows[n-1]))
	}
	out := make([]Wire, 0, len(rows))
	for _, row := range rows {
		out = append(out, render(row))
	}
	return out, next
}
