package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sagaforge/saga/internal/platform/fault"
)

// MaxBodyBytes bounds every request body; purchases are small.
const MaxBodyBytes = 64 << 10

// DecodeJSON reads exactly one JSON object into dst, refusing unknown fields,
// trailing data, a wrong content type and bodies over MaxBodyBytes. The error
// wraps fault.ErrInvalid, so From renders it as a 400.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return fmt.Errorf("%w: content type must be application/json, got %q", fault.ErrInvalid, ct)
		}
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: %s", fault.ErrInvalid, describeDecodeError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: body must hold a single JSON object", fault.ErrInvalid)
	}
	return nil
}

func describeDecodeError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fmt.Sprintf("body exceeds %d bytes", tooBig.Limit)
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type)
	case errors.Is(err, io.EOF):
		return "body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: body ends early"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "malformed JSON"
}

// WriteJSON sends v with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// MaxResponseBytes bounds what a client reads of one response: a page of
// the largest list (MaxPageLimit orders of the most lines) fits.
const MaxResponseBytes = 8 << 20

// ReadResponse decodes a service response: 2xx bodies into out (if not nil),
// anything else into a *Problem error. A non-problem error body still yields a
// Problem carrying the status, so retry decisions never depend on the body.
func ReadResponse(resp *http.Response, out any) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if len(data) > MaxResponseBytes {
		return fmt.Errorf("read response: larger than %d bytes (ask for a smaller page)", MaxResponseBytes)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil || len(bytes.TrimSpace(data)) == 0 {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode %s response: %w", resp.Request.URL.Path, err)
		}
		return nil
	}
	p := &Problem{}
	if json.Unmarshal(data, p) != nil || p.Status == 0 {
		p = &Problem{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode), Code: "http-" + fmt.Sprint(resp.StatusCode),
			Detail: strings.TrimSpace(string(data))}
	}
	p.Status = resp.StatusCode
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		p.RetryAfter = time.Duration(s) * time.Second
	}
	return p
}
