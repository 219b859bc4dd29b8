// Package webtest sends raw requests to a service under test and checks
// that refusals come back as RFC 9457 problem documents.
package webtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sagaforge/saga/internal/platform/web"
)

// Send makes a request with a raw body (empty for none) and returns the
// status and, for a problem answer, the decoded problem.
func Send(t *testing.T, method, url, contentType, body string) (int, *web.Problem) {
	t.Helper()
	return SendWith(t, method, url, contentType, body, "")
}

// SendWith is Send with an Authorization header (none when empty).
func SendWith(t *testing.T, method, url, contentType, body, authorization string) (int, *web.Problem) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 400 {
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != web.ProblemContentType {
		t.Fatalf("%s %s: status %d with content type %q, want %q; body %s", method, url, resp.StatusCode, ct, web.ProblemContentType, data)
	}
	var p web.Problem
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("%s %s: problem body does not decode: %v; body %s", method, url, err, data)
	}
	if p.Status != resp.StatusCode || p.Type == "" || p.Title == "" || p.Code == "" {
		t.Fatalf("%s %s: incomplete problem %+v for status %d", method, url, p, resp.StatusCode)
	}
	return resp.StatusCode, &p
}

// Oversized is a JSON body larger than any service accepts.
func Oversized() string {
	return `{"order_id":"` + strings.Repeat("x", web.MaxBodyBytes) + `"}`
}

// Mutation posts a body, as a fuzz target does, and checks what every
// service promises whatever arrives: a success or a 4xx problem, never a
// 5xx; and a refusal writes no event, except a refusal the service records
// (its code is recorded, e.g. "out-of-stock"), which writes its one event.
// events counts the service's outbox.
func Mutation(t *testing.T, url, body string, events func() int, recorded string) (int, *web.Problem) {
	t.Helper()
	before := events()
	status, p := Send(t, http.MethodPost, url, "application/json", body)
	if status >= 500 {
		t.Fatalf("POST %s %q: %d %+v", url, body, status, p)
	}
	if status >= 400 {
		allowed := 0
		if recorded != "" && p.Code == recorded {
			allowed = 1
		}
		if written := events() - before; written > allowed {
			t.Fatalf("POST %s %q refused with %d %s but wrote %d events", url, body, status, p.Code, written)
		}
	}
	return status, p
}

// FuzzSeed adds every body as a seed input for each of a fuzz target's ops
// operations, on order ID "f1". The targets take (op uint8, id, body string).
func FuzzSeed(f *testing.F, ops uint8, bodies ...string) {
	for _, body := range bodies {
		for op := range ops {
			f.Add(op, "f1", body)
		}
	}
}

// FuzzPath is the path of operation op: the collection for op 0 (create),
// COLLECTION/ID/ACTION for the others, one per action.
func FuzzPath(op uint8, collection, id string, actions ...string) string {
	k := int(op) % (1 + len(actions))
	if k == 0 {
		return collection
	}
	return collection + "/" + url.PathEscape(id) + "/" + actions[k-1]
}
