package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagaforge/saga/internal/platform/fault"
	"github.com/sagaforge/saga/internal/platform/web"
)

type createReq struct {
	OrderID string `json:"order_id"`
}

func (r createReq) IdempotencyKey() string { return r.OrderID }

type created struct {
	OrderID string `json:"order_id"`
	isNew   bool
}

func (c created) StatusCode() int {
	if c.isNew {
		return http.StatusCreated
	}
	return http.StatusOK
}

// An endpoint decodes its body, answers with the operation's status, refuses
// a body where it takes none, and logs a failure with the order it names; a
// keyed one is handed its path value.
func TestEndpointDecodesAnswersAndLogsTheOrder(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	seen := map[string]bool{}
	mux := http.NewServeMux()
	mux.Handle("POST /things", web.Endpoint(log, "create", func(r *http.Request, in createReq) (created, error) {
		if in.OrderID == "bad" {
			return created{}, fmt.Errorf("%w: no such customer", fault.ErrInvalid)
		}
		isNew := !seen[in.OrderID]
		seen[in.OrderID] = true
		return created{OrderID: in.OrderID, isNew: isNew}, nil
	}))
	closeThing := func(_ context.Context, id string) (createReq, error) {
		if id == "o-2" {
			return createReq{}, errors.New("database is locked")
		}
		return createReq{OrderID: id}, nil
	}
	mux.Handle("POST /things/{order_id}/close", web.Keyed(log, "close", "order_id", closeThing, func(in createReq) created {
		return created{OrderID: in.OrderID, isNew: true}
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	post := func(path, body string) (int, string) {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, fmt.Sprintf("%v %v", out["order_id"], out["code"])
	}
	for _, c := range []struct {
		path, body string
		status     int
		answer     string
	}{
		{"/things", `{"order_id":"o-1"}`, http.StatusCreated, "o-1 <nil>"},
		{"/things", `{"order_id":"o-1"}`, http.StatusOK, "o-1 <nil>"},
		{"/things", `{"order_id":"bad"}`, http.StatusBadRequest, "<nil> invalid-request"},
		{"/things", `{"order":"o-1"}`, http.StatusBadRequest, "<nil> invalid-request"},
		{"/things/o-2/close", `{"x":1}`, http.StatusBadRequest, "<nil> invalid-request"},
		{"/things/o-2/close", ``, http.StatusInternalServerError, "<nil> internal"},
		{"/things/o-3/close", ``, http.StatusCreated, "o-3 <nil>"},
	} {
		if status, answer := post(c.path, c.body); status != c.status || answer != c.answer {
			t.Errorf("POST %s %s: %d %s, want %d %s", c.path, c.body, status, answer, c.status, c.answer)
		}
	}
	for _, want := range []string{`"msg":"create refused","order_id":"bad"`, `"msg":"close failed","order_id":"o-2"`, `"msg":"create","order_id":"o-1","status":201`, `"msg":"close","order_id":"o-3","status":201`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, logs.String())
		}
	}
}

// A call without the token is refused with 401, which says how to
// authenticate (RFC 9110, RFC 6750); reads need none.
func TestAMutatingCallWithoutTheTokenIsToldHowToAuthenticate(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) {})
	h := web.Middleware(slog.New(slog.DiscardHandler), "s3cret", mux)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/x", nil))
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("POST without the token: %d, WWW-Authenticate %q; want 401 naming the Bearer scheme", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/x", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST with the token: %d", rec.Code)
	}
}
