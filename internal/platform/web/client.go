package web

// The JSON-over-HTTP client the service clients share: keep-alive
// connections, a bearer token when configured, problem+json errors.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
)

// Client calls one service.
type Client struct {
	baseURL string
	http    *http.Client
	token   string
}

// NewClient returns a client for the service at baseURL (e.g.
// http://127.0.0.1:8081). token, when not empty, is sent as a bearer token
// (the first, when the setting holds two: Tokens).
func NewClient(baseURL string, httpClient *http.Client, token string) *Client {
	if httpClient == nil {
		httpClient = DefaultHTTPClient()
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), http: httpClient, token: sent(token)}
}

// ClientFor returns an API client C, a struct that embeds *Client, for the
// service at baseURL; each API package's NewClient is ClientFor its Client.
func ClientFor[C ~struct{ *Client }](baseURL string, httpClient *http.Client, token string) C {
	return C{NewClient(baseURL, httpClient, token)}
}

// DefaultHTTPClient keeps connections to the services alive: a saga makes
// several calls to the same three hosts, and a new TCP handshake per call
// would dominate its latency.
func DefaultHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		// Each call is a client span that carries the trace to the service.
		// The global provider is given so that otelhttp keeps one tracer,
		// instead of asking the provider for one on every call.
		Transport: otelhttp.NewTransport(&http.Transport{
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}, otelhttp.WithTracerProvider(otel.GetTracerProvider())),
	}
}

// BaseURL is where the client sends requests.
func (c *Client) BaseURL() string { return c.baseURL }

// Do sends in as JSON (nil for no body) and decodes a 2xx answer into out.
// A refusal comes back as *Problem; a transport failure as a wrapped
// net error. Both carry the method and path for the log.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	return c.DoWith(ctx, method, path, nil, in, out)
}

// DoWith is Do with headers of the caller's on the request.
func (c *Client) DoWith(ctx context.Context, method, path string, header http.Header, in, out any) error {
	var body *bytes.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(data)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, "+ProblemContentType)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s%s: %w", method, c.baseURL, path, err)
	}
	defer resp.Body.Close()
	if err := ReadResponse(resp, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// Call sends in (nil for no body) and decodes a 2xx answer into a T; see Do.
func Call[T any](ctx context.Context, c *Client, method, path string, in any) (T, error) {
	return CallWith[T](ctx, c, method, path, nil, in)
}

// CallWith is Call with headers of the caller's on the request.
func CallWith[T any](ctx context.Context, c *Client, method, path string, header http.Header, in any) (T, error) {
	var out T
	err := c.DoWith(ctx, method, path, header, in, &out)
	return out, err
}
