package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// The probe reads each of its pages in turn, follows the first page's
// cursor to the second, counts an error apart from a latency, and a page
// that says it is partial.
func TestConsoleProbeReadsEveryPage(t *testing.T) {
	var pages atomic.Int32
	enough := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if pages.Add(1) == 4*3 { // three rounds of the four reads
			close(enough)
		}
		if r.URL.Query().Get("mode") != "" {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == "/" {
			w.Write([]byte(`<p class="warning" role="status">Partial: Temporal did not answer in time</p>`))
			return
		}
		w.Write([]byte(`{"purchases":[],"next":"o.next"}`))
	}))
	defer srv.Close()
	p := &ConsoleProbe{URL: srv.URL, Every: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	<-enough
	cancel()
	<-done
	reads := p.Reads()
	if len(reads) != len(ConsoleReads) || reads[0].N < 3 || reads[1].N < 2 || reads[2].N != 0 || reads[2].Errors < 2 || reads[3].N < 2 {
		t.Fatalf("reads %+v", reads)
	}
	if reads[3].Partial != reads[3].N || reads[0].Partial != 0 {
		t.Errorf("partial pages counted: %+v", reads)
	}
	if reads[0].UnderBoundPercent != 100 {
		t.Errorf("a local server's answers counted over %s: %+v", ConsoleBound, reads[0])
	}
}
